import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type KuraConfig, renderRoundcubeConfig, roundcubePaths, webmailUrl } from '@kura/config';
import { type ServiceSpec, SetupError } from './services.js';
import { submissionCertificates } from './submission.js';

const DES_KEY_LENGTH = 24;

/**
 * Writes the local webmail's config directory, creates its SQLite database
 * and brings its schema up to the installed Roundcube's (a Debian update may
 * bring a newer one). Debian's /etc/roundcube is only read, never changed.
 */
export function prepareWebmail(config: KuraConfig): void {
  const paths = roundcubePaths(config);
  if (!fs.existsSync(path.join(paths.documentRoot, 'index.php')) || !fs.existsSync(config.webmail.defaultsFile)) {
    throw new SetupError(
      `Roundcube is not installed (no ${paths.documentRoot}/index.php or ${config.webmail.defaultsFile}): ` +
        'install Debian\'s roundcube-core roundcube-sqlite3 php8.2-cli (`npm start` does), or set "webmail": { "enabled": false }',
    );
  }
  for (const dir of [paths.root, paths.config, paths.temp]) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = renderRoundcubeConfig(config, { desKey: installationKey(paths.desKey), caFile: submissionCertificates(config).ca });
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(paths.config, name);
    fs.writeFileSync(`${target}.tmp`, content, { mode: 0o600 });
    fs.renameSync(`${target}.tmp`, target);
  }
  updateSchema(config, paths.config);
}

/** The installation's own key: made once from random bytes, kept in the data dir (mode 0600), never printed. */
function installationKey(file: string): string {
  try {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (key.length === DES_KEY_LENGTH) return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = crypto.randomBytes(18).toString('base64url');
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

/** Roundcube's own schema updater (what Debian's bin/updatedb.sh runs), against Kura's database. */
function updateSchema(config: KuraConfig, configDir: string): void {
  const installPath = `${config.webmail.roundcubeDir.replace(/\/$/, '')}/`;
  const script = [
    `define('INSTALL_PATH', ${JSON.stringify(installPath)});`,
    "require_once INSTALL_PATH . 'program/include/clisetup.php';",
    "rcmail_utils::db_update(INSTALL_PATH . 'SQL', 'roundcube', null, ['errors' => true]);",
  ].join(' ');
  try {
    execFileSync(config.webmail.php, ['-r', script], {
      env: { ...process.env, ROUNDCUBE_CONFIG_DIR: configDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    const detail = `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`.trim() || e.message;
    throw new SetupError(`preparing the webmail's database (${roundcubePaths(config).database}) failed: ${detail}`);
  }
}

/**
 * Roundcube under PHP's built-in server on ports.webmail, ready once its
 * login page answers with the login form (which also proves the generated
 * config was read and the SQLite session store works).
 */
export function webmailService(config: KuraConfig): ServiceSpec {
  const paths = roundcubePaths(config);
  const url = webmailUrl(config);
  // Uploads up to the MX's message size limit (an attachment grows by a third in base64).
  const uploadMb = Math.max(1, Math.floor(config.smtp.maxMessageBytes / 1024 / 1024));
  const ini = {
    upload_max_filesize: `${uploadMb}M`,
    post_max_size: `${uploadMb + 8}M`,
    memory_limit: '256M',
    display_errors: '0',
    log_errors: '1',
    expose_php: '0',
    'zend.exception_ignore_args': '1',
  };
  return {
    name: 'webmail',
    command: config.webmail.php,
    // -q: no "Accepted"/"Closing" lines per request; Roundcube's own log (errors, one line per sent message) stays.
    args: [
      '-q',
      '-S',
      `${config.host}:${config.ports.webmail}`,
      '-t',
      paths.documentRoot,
      ...Object.entries(ini).flatMap(([k, v]) => ['-d', `${k}=${v}`]),
    ],
    env: { ROUNDCUBE_CONFIG_DIR: paths.config },
    ports: { webmail: config.ports.webmail },
    ready: async () => {
      const res = await fetch(url, { headers: { 'accept-language': 'en' }, signal: AbortSignal.timeout(5_000) });
      const body = await res.text();
      if (res.status !== 200 || !body.includes('id="rcmloginuser"') || !body.includes('"task":"login"')) {
        throw new Error(`the webmail at ${url} answered ${res.status} without its login form`);
      }
    },
  };
}
