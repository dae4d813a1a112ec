import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '..', '..');

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    const file = require.resolve(`${name}/package.json`, {
      paths: [path.join(ROOT, 'packages', 'store'), path.join(ROOT, 'packages', 'inbound'), ROOT],
    });
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  os: string;
  loadAverageAtStart: number[];
}

export function machineFacts(): MachineFacts {
  const osRelease = fs.existsSync('/etc/os-release') ? fs.readFileSync('/etc/os-release', 'utf8') : '';
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    os: /^PRETTY_NAME="?([^"\n]+)/m.exec(osRelease)?.[1] ?? os.type(),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function versions(): Record<string, string> {
  const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const commit = run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = run('git', ['-C', ROOT, 'status', '--porcelain']) !== '' ? '+changes' : '';
  const ferretdb = /ferretdb-(\d+\.\d+\.\d+)/.exec(process.env.KURA_FERRETDB_BIN ?? '')?.[1];
  return {
    kura: `${rootPackage.version} (${commit}${dirty})`,
    node: process.version,
    ferretdb: process.env.MONGODB_URI ? 'external MongoDB' : (ferretdb ?? 'unknown'),
    wildduck: packageVersion('@zone-eu/wildduck'),
    haraka: packageVersion('Haraka'),
    redis: /v=(\S+)/.exec(run('redis-server', ['--version']))?.[1] ?? 'unknown',
    postfix: run('postconf', ['-d', '-h', 'mail_version']),
    dovecot: run('dovecot', ['--version']),
  };
}
