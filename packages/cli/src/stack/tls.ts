import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SetupError } from './services.js';

export interface LocalCertificates {
  ca: string;
  cert: string;
  key: string;
}

/**
 * A throw-away CA and one server certificate (localhost, 127.0.0.1 and the
 * configured hostname) for the local secured profile, made with openssl once
 * per data directory. Nothing outside the data dir trusts this CA: Kura's own
 * clients and the tests are given it explicitly.
 */
export function ensureLocalCertificates(dir: string, hostname: string): LocalCertificates {
  const files = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') };
  if (Object.values(files).every((f) => fs.existsSync(f))) return files;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = path.join(dir, 'ca.key');
  const csr = path.join(dir, 'server.csr');
  const ext = path.join(dir, 'server.ext');
  const san = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', ...(hostname !== 'localhost' ? [`DNS:${hostname}`] : [])].join(',');
  fs.writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`, { mode: 0o600 });
  const openssl = (args: string[]) => {
    try {
      execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      throw new SetupError(`openssl ${args[0]} failed while making the local certificates in ${dir}: ${(err as Error).message}`);
    }
  };
  const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...keyArgs, '-keyout', caKey, '-out', files.ca, '-days', '30', '-subj', '/CN=Kura local test CA']);
  openssl(['req', '-new', ...keyArgs, '-keyout', files.key, '-out', csr, '-subj', `/CN=${hostname}`]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    files.ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    files.cert,
    '-days',
    '30',
    '-extfile',
    ext,
  ]);
  for (const f of [caKey, files.key]) fs.chmodSync(f, 0o600);
  fs.rmSync(csr, { force: true });
  return files;
}
