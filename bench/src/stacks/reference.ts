import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, waitForGreeting } from '../net.ts';
import { processTree } from '../procs.ts';
import type { BenchTarget, BenchUser, FillMessage } from './target.ts';

interface Dirs {
  postfixConfig: string;
  queue: string;
  postfixData: string;
  dovecotBase: string;
  dovecotState: string;
  homes: string;
  logs: string;
}

/** Mail in the reference stack is owned by nobody:nogroup, as an unprivileged virtual-mail user would be. */
const MAIL_UID = 65534;
const MAIL_GID = 65534;
const DOMAIN = 'bench.test';
const PASSWORD = 'bench-password';

/**
 * The stack campuses run today, configured from scratch in a temporary
 * directory: Postfix (SMTP in) hands mail over LMTP to Dovecot, which stores
 * Maildir and serves IMAP and POP3. Both run as root-started daemons (their
 * normal mode) but listen on 127.0.0.1 high ports only, and are stopped again
 * by stop() or when this process exits.
 */
export async function startReferenceStack(options: { users: string[]; say?: (line: string) => void }): Promise<BenchTarget> {
  const say = options.say ?? (() => {});
  requireTool('postfix', 'postfix');
  requireTool('dovecot', 'dovecot-imapd dovecot-pop3d dovecot-lmtpd');
  if (process.getuid?.() !== 0) {
    throw new Error('the reference stack (Postfix + Dovecot) needs root to start its daemons: run the bench as root');
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-bench-ref-'));
  // Daemons drop to postfix/dovecot/nobody and must be able to walk into the directory.
  fs.chmodSync(root, 0o755);
  const [smtp, imap, pop3, lmtp] = (await freePorts(4)) as [number, number, number, number];
  const dirs: Dirs = {
    postfixConfig: path.join(root, 'postfix'),
    queue: path.join(root, 'postfix-queue'),
    postfixData: path.join(root, 'postfix-data'),
    dovecotBase: path.join(root, 'dovecot-run'),
    dovecotState: path.join(root, 'dovecot-state'),
    homes: path.join(root, 'home'),
    logs: path.join(root, 'log'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.chownSync(dirs.postfixData, uidOf('postfix'), 0);
  const users = new Map<string, BenchUser>();
  for (const name of options.users) users.set(name, { address: `${name}@${DOMAIN}`, login: `${name}@${DOMAIN}`, password: PASSWORD });
  for (const name of options.users) makeMaildir(path.join(dirs.homes, name));

  const dovecotConf = path.join(root, 'dovecot.conf');
  fs.writeFileSync(path.join(root, 'users'), [...users.keys()].map((name) => passwdLine(name, dirs.homes)).join(''));
  fs.writeFileSync(dovecotConf, dovecotConfig({ root, dirs, imap, pop3, lmtp }));
  fs.writeFileSync(path.join(dirs.postfixConfig, 'main.cf'), postfixMain({ dirs, lmtp, users: [...users.values()] }));
  fs.writeFileSync(path.join(dirs.postfixConfig, 'master.cf'), postfixMaster(smtp));

  const children: ChildProcess[] = [];
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync('postfix', ['-c', dirs.postfixConfig, 'abort'], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // not running (start failed): nothing to stop
    }
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  // Whatever happens to the bench, its daemons do not outlive it.
  process.once('exit', stopSync);

  try {
    say('reference: starting dovecot');
    const dovecot = spawn('dovecot', ['-F', '-c', dovecotConf], { stdio: ['ignore', ...logTo(path.join(dirs.logs, 'dovecot.stdout'))] });
    children.push(dovecot);
    await waitForGreeting(imap, /^\* OK/);
    await waitForGreeting(pop3, /^\+OK/);
    await waitForGreeting(lmtp, /^220 /);
    say('reference: starting postfix');
    execFileSync('postfix', ['-c', dirs.postfixConfig, 'set-permissions'], { stdio: 'ignore' });
    const postfix = spawn('postfix', ['-c', dirs.postfixConfig, 'start-fg'], {
      stdio: ['ignore', ...logTo(path.join(dirs.logs, 'postfix.stdout'))],
    });
    children.push(postfix);
    await waitForGreeting(smtp, /^220 /);
  } catch (err) {
    stopSync();
    process.removeListener('exit', stopSync);
    throw new Error(`the reference stack did not start (logs in ${dirs.logs}): ${(err as Error).message}`, { cause: err });
  }

  let sequence = 0;
  return {
    name: 'reference',
    host: '127.0.0.1',
    ports: { smtp, imap, pop3 },
    async user(name) {
      const user = users.get(name);
      if (!user) throw new Error(`reference stack has no user "${name}"; pass it in users when starting the stack`);
      return user;
    },
    /** Writes Maildir files directly (as an LDA would), then lets doveadm index the mailbox. */
    async fill(user, messages: FillMessage[]) {
      const name = user.login.split('@')[0] ?? '';
      const cur = path.join(dirs.homes, name, 'Maildir', 'cur');
      const stamp = Math.floor(Date.now() / 1000);
      for (const { raw } of messages) {
        sequence += 1;
        const file = path.join(cur, `${stamp}.M${sequence}P${process.pid}.bench,S=${raw.length}:2,`);
        fs.writeFileSync(file, raw);
        fs.chownSync(file, MAIL_UID, MAIL_GID);
      }
      execFileSync('doveadm', ['-c', dovecotConf, 'force-resync', '-u', user.login, 'INBOX'], { stdio: 'ignore' });
      execFileSync('doveadm', ['-c', dovecotConf, 'mailbox', 'status', '-u', user.login, 'messages', 'INBOX'], { stdio: 'ignore' });
    },
    async clone(user, count, source) {
      const dir = (u: BenchUser) => path.join(dirs.homes, u.login.split('@')[0] ?? '', 'Maildir', 'cur');
      const seeds = fs.readdirSync(dir(source)).sort();
      if (seeds.length === 0) throw new Error(`nothing to clone: ${source.login} has an empty INBOX`);
      const cur = dir(user);
      const stamp = Math.floor(Date.now() / 1000);
      for (let have = fs.readdirSync(cur).length; have < count; have++) {
        const seed = seeds[have % seeds.length] as string;
        sequence += 1;
        const size = /,S=(\d+)/.exec(seed)?.[1] ?? '0';
        const file = path.join(cur, `${stamp}.M${sequence}P${process.pid}.bench,S=${size}:2,`);
        fs.copyFileSync(path.join(dir(source), seed), file);
        fs.chownSync(file, MAIL_UID, MAIL_GID);
      }
      execFileSync('doveadm', ['-c', dovecotConf, 'force-resync', '-u', user.login, 'INBOX'], { stdio: 'ignore' });
      execFileSync('doveadm', ['-c', dovecotConf, 'mailbox', 'status', '-u', user.login, 'messages', 'INBOX'], { stdio: 'ignore' });
    },
    serverPids() {
      return children.flatMap((child) => (child.pid ? processTree(child.pid) : []));
    },
    async stop() {
      const exits = children.map((child) =>
        child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r)),
      );
      stopSync();
      process.removeListener('exit', stopSync);
      const killer = setTimeout(() => {
        for (const child of children) child.kill('SIGKILL');
      }, 10_000);
      await Promise.all(exits);
      clearTimeout(killer);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function requireTool(command: string, debianPackages: string) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${command} is not installed: run \`bash scripts/kura.sh setup\` (installs ${debianPackages}) and rerun the bench`);
  }
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}

function makeMaildir(home: string) {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(home, 'Maildir', sub), { recursive: true });
  for (const dir of [home, path.join(home, 'Maildir'), ...['cur', 'new', 'tmp'].map((s) => path.join(home, 'Maildir', s))]) {
    fs.chownSync(dir, MAIL_UID, MAIL_GID);
  }
}

function passwdLine(name: string, homes: string): string {
  return `${name}@${DOMAIN}:{PLAIN}${PASSWORD}:${MAIL_UID}:${MAIL_GID}::${path.join(homes, name)}::\n`;
}

/** A log file as stdout and stderr of a daemon (a file, not a pipe: daemons' children keep it open). */
function logTo(file: string): [number, number] {
  const fd = fs.openSync(file, 'a');
  return [fd, fd];
}

function dovecotConfig(o: { root: string; dirs: Dirs; imap: number; pop3: number; lmtp: number }): string {
  return `# Generated by Kura's bench: a stand-alone Dovecot for the reference stack.
instance_name = kura-bench-${path.basename(o.root)}
base_dir = ${o.dirs.dovecotBase}
state_dir = ${o.dirs.dovecotState}
listen = 127.0.0.1
protocols = imap pop3 lmtp
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
  args = scheme=PLAIN username_format=%u ${path.join(o.root, 'users')}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${path.join(o.root, 'users')}
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
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${o.lmtp}
  }
}
service imap {
  process_limit = 2000
}
protocol imap {
  mail_max_userip_connections = 2000
}
protocol pop3 {
  mail_max_userip_connections = 100
}
protocol lmtp {
  postmaster_address = postmaster@${DOMAIN}
}
`;
}

function postfixMain(o: { dirs: Dirs; lmtp: number; users: BenchUser[] }): string {
  const mailboxes = o.users.map((u) => `${u.address}=ok`).join(', ');
  return `# Generated by Kura's bench: a stand-alone Postfix for the reference stack.
compatibility_level = 3.6
queue_directory = ${o.dirs.queue}
data_directory = ${o.dirs.postfixData}
mail_owner = postfix
setgid_group = postdrop
myhostname = reference.${DOMAIN}
mydomain = ${DOMAIN}
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = ${DOMAIN}
virtual_mailbox_maps = inline:{ ${mailboxes} }
virtual_transport = lmtp:inet:127.0.0.1:${o.lmtp}
message_size_limit = 52428800
mailbox_size_limit = 0
virtual_mailbox_limit = 0
smtputf8_enable = no
biff = no
smtpd_banner = $myhostname ESMTP
# With start-fg, postlogd writes the log to the master's stdout (kept in log/postfix.stdout).
maillog_file = /dev/stdout
`;
}

/** Upstream's master.cf services the bench needs, none chrooted, SMTP on a loopback high port. */
function postfixMaster(smtp: number): string {
  return `# Generated by Kura's bench.
127.0.0.1:${smtp} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;
}
