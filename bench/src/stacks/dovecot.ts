import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePorts, waitForGreeting } from '../net.ts';

/** Mail is owned by nobody:nogroup, as an unprivileged virtual-mail user's would be. */
export const MAIL_UID = 65534;
export const MAIL_GID = 65534;

export interface DovecotOptions {
  /** A fresh directory the daemons may walk into (0755): config, state, homes, logs. */
  root: string;
  /** Local parts; each logs in as `<name>@<domain>` with `password` and gets an empty Maildir++. */
  users: string[];
  domain: string;
  password: string;
  /** Also serve LMTP (the reference stack's Postfix delivers through it). */
  lmtp?: boolean;
}

export interface Dovecot {
  conf: string;
  ports: { imap: number; pop3: number; lmtp?: number };
  logs: string;
  /** The user's Maildir++ root (INBOX; folders are `.Name` directories beside cur/new/tmp). */
  maildir(name: string): string;
  /** Lets Dovecot index files written straight into a user's Maildir (as an LDA would). */
  resync(name: string, mailbox?: string): void;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function requireTool(command: string, debianPackages: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${command} is not installed: run \`bash scripts/kura.sh setup\` (installs ${debianPackages})`);
  }
}

/** A log file as stdout and stderr of a daemon (a file, not a pipe: daemons' children keep it open). */
export function logTo(file: string): [number, number] {
  const fd = fs.openSync(file, 'a');
  return [fd, fd];
}

function makeMaildir(home: string) {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(home, 'Maildir', sub), { recursive: true });
  for (const dir of [home, path.join(home, 'Maildir'), ...['cur', 'new', 'tmp'].map((s) => path.join(home, 'Maildir', s))]) {
    fs.chownSync(dir, MAIL_UID, MAIL_GID);
  }
}

/**
 * A stand-alone Dovecot (Debian's packages) configured from scratch under `root`: Maildir++,
 * IMAP and POP3 (and LMTP when asked) on 127.0.0.1 high ports, plain passwords from a
 * passwd-file. Root-started, as the daemon normally is; stopped by stop() or when this process exits.
 */
export async function startDovecot(o: DovecotOptions): Promise<Dovecot> {
  requireTool('dovecot', 'dovecot-imapd dovecot-pop3d dovecot-lmtpd');
  if (process.getuid?.() !== 0) throw new Error('Dovecot needs root to start its daemons: run as root');
  const [imap, pop3, lmtp] = (await freePorts(3)) as [number, number, number];
  const dirs = {
    base: path.join(o.root, 'dovecot-run'),
    state: path.join(o.root, 'dovecot-state'),
    homes: path.join(o.root, 'home'),
    logs: path.join(o.root, 'log'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const name of o.users) makeMaildir(path.join(dirs.homes, name));
  const users = path.join(o.root, 'users');
  fs.writeFileSync(
    users,
    o.users.map((name) => `${name}@${o.domain}:{PLAIN}${o.password}:${MAIL_UID}:${MAIL_GID}::${path.join(dirs.homes, name)}::\n`).join(''),
  );
  const conf = path.join(o.root, 'dovecot.conf');
  fs.writeFileSync(conf, dovecotConfig({ root: o.root, dirs, users, imap, pop3, lmtp: o.lmtp ? lmtp : undefined, domain: o.domain }));
  const child = spawn('dovecot', ['-F', '-c', conf], { stdio: ['ignore', ...logTo(path.join(dirs.logs, 'dovecot.stdout'))] });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', kill);
  try {
    await waitForGreeting(imap, /^\* OK/);
    await waitForGreeting(pop3, /^\+OK/);
    if (o.lmtp) await waitForGreeting(lmtp, /^220 /);
  } catch (err) {
    kill();
    process.removeListener('exit', kill);
    throw new Error(`Dovecot did not start (logs in ${dirs.logs}): ${(err as Error).message}`, { cause: err });
  }
  return {
    conf,
    ports: { imap, pop3, ...(o.lmtp ? { lmtp } : {}) },
    logs: dirs.logs,
    process: child,
    maildir: (name) => path.join(dirs.homes, name, 'Maildir'),
    resync(name, mailbox = 'INBOX') {
      const login = `${name}@${o.domain}`;
      execFileSync('doveadm', ['-c', conf, 'force-resync', '-u', login, mailbox], { stdio: 'ignore' });
      execFileSync('doveadm', ['-c', conf, 'mailbox', 'status', '-u', login, 'messages', mailbox], { stdio: 'ignore' });
    },
    async stop() {
      process.removeListener('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      kill();
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

function dovecotConfig(o: {
  root: string;
  dirs: { base: string; state: string; logs: string };
  users: string;
  imap: number;
  pop3: number;
  lmtp?: number;
  domain: string;
}): string {
  return `# Generated by Kura's bench and tests: a stand-alone Dovecot.
instance_name = kura-${path.basename(o.root)}
base_dir = ${o.dirs.base}
state_dir = ${o.dirs.state}
listen = 127.0.0.1
protocols = imap pop3${o.lmtp ? ' lmtp' : ''}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = ${path.join(o.dirs.logs, 'dovecot.log')}
mail_location = maildir:~/Maildir
first_valid_uid = ${MAIL_UID}
first_valid_gid = ${MAIL_GID}
default_internal_user = dovecot
default_login_user = dovenull
default_process_limit = 2000
default_client_limit = 5000
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${o.users}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${o.users}
}
# The usual SPECIAL-USE folders (RFC 6154), announced when they exist.
namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Junk {
    special_use = \\Junk
  }
  mailbox Trash {
    special_use = \\Trash
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${o.imap}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${o.pop3}
  }
  inet_listener pop3s {
    port = 0
  }
}
${
  o.lmtp
    ? `service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${o.lmtp}
  }
}
`
    : ''
}service imap {
  process_limit = 2000
}
protocol imap {
  mail_max_userip_connections = 2000
}
protocol pop3 {
  mail_max_userip_connections = 100
}
protocol lmtp {
  postmaster_address = postmaster@${o.domain}
}
`;
}
