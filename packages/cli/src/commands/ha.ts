import { spawn } from 'node:child_process';
import { assertSafeToExpose, internalHost, type KuraConfig, loadConfig, withSecurity } from '@kura/config';
import { DRILLS, type DrillName, runDrill } from '@kura/drills';
import { runGuard } from '@kura/guard';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { haServices, haStackConfig, prepareHaFiles } from '../stack/ha.js';
import { prepareDataDir } from '../stack/prepare.js';

/** `kura run`, `kura guard` and `kura drill`: the high-availability topology's commands. */
export function registerHaCommands(program: Command): void {
  program
    .command('run <service>')
    .description(
      'run one service of the high-availability topology in the foreground (wildduck-N, haraka-N, submission-N, guard); for systemd units and containers',
    )
    .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
    .action(runService);

  program
    .command('guard')
    .description('run the guard: probes, canary, status page, /health, /metrics, alerts, failover actions')
    .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
    .action(async (options: { config?: string }) => {
      const config = withSecurity(loadConfig({ file: options.config }));
      try {
        assertSafeToExpose(config);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      const guard = await runGuard(config);
      process.stdout.write(`guard running; status page ${guard.url}\n`);
      const stop = () => void guard.stop().finally(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program
    .command('drill <name>')
    .description(`run a failover drill against a live deployment (${Object.keys(DRILLS).join(', ')}); prints the plan unless --execute`)
    .option('-c, --config <file>', 'config file (default: ./kura.config.json if present)')
    .option('--execute', 'really break and repair the component (default: dry run, nothing is touched)')
    .option('--kill <command>', 'shell command that kills the component (default: systemctl kill --signal=KILL …)')
    .option('--restore <command>', 'shell command that brings it back (default: systemctl start …)')
    .option('--hold <seconds>', 'how long the component stays down before it is restored', '15')
    .option('--guard <url>', "the guard's status page, to report when it noticed (default: from kura.config.json)")
    .option('--json', 'print the result as JSON')
    .action(drill);
}

const DEFAULT_UNITS: Record<DrillName, string> = {
  wildduck: 'kura-wildduck@1.service',
  haraka: 'kura-haraka@1.service',
  redis: 'redis-server.service',
  datatier: 'mongod.service',
};

interface DrillOptions {
  config?: string;
  execute?: boolean;
  kill?: string;
  restore?: string;
  hold: string;
  guard?: string;
  json?: boolean;
}

async function drill(name: string, options: DrillOptions): Promise<void> {
  if (!(name in DRILLS)) throw new CliError(`unknown drill "${name}": choose one of ${Object.keys(DRILLS).join(', ')}`);
  const drillName = name as DrillName;
  const config = withSecurity(loadConfig({ file: options.config }));
  const hold = Number(options.hold);
  if (!Number.isFinite(hold) || hold < 0) throw new CliError(`--hold must be a number of seconds, not "${options.hold}"`);
  const kill = options.kill ?? `systemctl kill --signal=KILL ${DEFAULT_UNITS[drillName]}`;
  const restore = options.restore ?? `systemctl start ${DEFAULT_UNITS[drillName]}`;
  const front = config.ha.haproxy.host ?? config.host;
  const plan = [
    `drill ${drillName}: ${DRILLS[drillName]}`,
    `  target:   SMTP ${front}:${config.ports.smtp}, IMAP ${front}:${config.ports.imap}, POP3 ${front}:${config.ports.pop3}`,
    `  load:     ${drillName === 'wildduck' ? '6 IMAP sessions' : 'a delivery stream'} as the account kura-drill@${config.demo.domain} (created if missing)`,
    `  kill:     ${kill}`,
    `  hold:     ${hold} s (at least until the guard has seen it)`,
    `  restore:  ${restore}`,
  ];
  if (!options.execute) {
    process.stdout.write(`${plan.join('\n')}\n\nDry run: nothing was touched. Add --execute to run it.\n`);
    return;
  }
  process.stdout.write(`${plan.join('\n')}\n\n`);
  const guardUrl = options.guard ?? `http://${internalHost(config)}:${config.guard.port}/`;
  let killedAt = 0;
  let noticedMs: number | undefined;
  const result = await runDrill(drillName, config, {
    kill: async () => {
      await shell(kill);
      killedAt = Date.now();
    },
    restore: () => shell(restore),
    duringOutage: async () => {
      // Hold the outage; meanwhile note when the status page first showed it.
      const until = Date.now() + hold * 1000;
      while (Date.now() < until) {
        if (noticedMs === undefined && (await guardSeesTrouble(guardUrl))) noticedMs = Date.now() - killedAt;
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    log: (line) => process.stdout.write(`  … ${line}\n`),
  });
  result.details.guardNoticedMs = noticedMs ?? null;
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      [
        `recovery time:          ${result.recoveryMs === null ? 'unknown (no client was interrupted)' : `${result.recoveryMs} ms`}`,
        `messages acknowledged:  ${figure(result.messagesAcknowledged)}`,
        `messages lost:          ${figure(result.messagesLost)}`,
        `messages duplicated:    ${figure(result.messagesDuplicated)}`,
        `5xx answers (bounces):  ${figure(result.permanentFailures)}`,
        `failures after recovery: ${result.failuresAfterRecovery} of ${result.loginsAfterRecovery.attempted} fresh IMAP/POP3/SMTP sessions`,
        `status page showed it:  ${noticedMs === undefined ? `not within the hold (${guardUrl})` : `${noticedMs} ms after the kill`}`,
        `details: ${JSON.stringify(result.details)}`,
        '',
      ].join('\n'),
    );
  }
  // Exit 2 on any measured loss or failure; unknown figures (a drill without mail) never count as a pass or a failure.
  if (result.messagesLost || result.permanentFailures || result.failuresAfterRecovery) process.exitCode = 2;
}

/** A drill figure, or "unknown" where this drill does not measure it. */
function figure(value: number | null): string {
  return value === null ? 'unknown (not measured by this drill)' : String(value);
}

function shell(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new CliError(`"${command}" exited with ${code}`))));
  });
}

/** Runs one HA service with the same generated config `kura up --ha` would give it, until it exits. */
async function runService(name: string, options: { config?: string }): Promise<void> {
  const config: KuraConfig = haStackConfig(loadConfig({ file: options.config }));
  const spec = haServices(config).find((s) => s.name === name);
  if (!spec || ['ferretdb', 'redis', 'redis-replica', 'haproxy'].includes(name) || name.startsWith('sentinel-')) {
    const names = haServices(config)
      .map((s) => s.name)
      .filter((n) => /^(wildduck|haraka|submission)-\d+$|^guard$/.test(n));
    throw new CliError(
      `"${name}" is not a Kura service: choose one of ${names.join(', ')} (the data tier, Redis and HAProxy run as their own units)`,
    );
  }
  prepareDataDir(config);
  prepareHaFiles(config);
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  await new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      process.exitCode = code ?? (signal ? 1 : 0);
      resolve();
    }),
  );
}

/** True when the guard's status page reports anything but "all up" (false when it cannot be reached). */
async function guardSeesTrouble(url: string): Promise<boolean> {
  try {
    const res = await fetch(new URL('status.json', url), { signal: AbortSignal.timeout(2_000) });
    const status = (await res.json()) as { overall?: string };
    return status.overall !== undefined && status.overall !== 'up';
  } catch {
    return false;
  }
}
