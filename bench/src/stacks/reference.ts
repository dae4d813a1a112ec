import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, waitForGreeting } from '../net.ts';
import { processTree } from '../procs.ts';
import { logTo, MAIL_GID, MAIL_UID, requireTool, startDovecot } from './dovecot.ts';
import type { BenchTarget, BenchUser, FillMessage } from './target.ts';

interface Dirs {
  postfixConfig: string;
  queue: string;
  postfixData: string;
  logs: string;
}

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
  if (process.getuid?.() !== 0) {
    throw new Error('the reference stack (Postfix + Dovecot) needs root to start its daemons: run the bench as root');
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kura-bench-ref-'));
  // Daemons drop to postfix/dovecot/nobody and must be able to walk into the directory.
  fs.chmodSync(root, 0o755);
  const [smtp] = (await freePorts(1)) as [number];
  const dirs: Dirs = {
    postfixConfig: path.join(root, 'postfix'),
    queue: path.join(root, 'postfix-queue'),
    postfixData: path.join(root, 'postfix-data'),
    logs: path.join(root, 'log'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.chownSync(dirs.postfixData, uidOf('postfix'), 0);
  const users = new Map<string, BenchUser>();
  for (const name of options.users) users.set(name, { address: `${name}@${DOMAIN}`, login: `${name}@${DOMAIN}`, password: PASSWORD });
  fs.writeFileSync(path.join(dirs.postfixConfig, 'master.cf'), postfixMaster(smtp));

  const children: ChildProcess[] = [];
  let dovecot: Awaited<ReturnType<typeof startDovecot>> | undefined;
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
    void dovecot?.stop();
  };
  // Whatever happens to the bench, its daemons do not outlive it.
  process.once('exit', stopSync);

  try {
    say('reference: starting dovecot');
    dovecot = await startDovecot({ root, users: options.users, domain: DOMAIN, password: PASSWORD, lmtp: true });
    fs.writeFileSync(
      path.join(dirs.postfixConfig, 'main.cf'),
      postfixMain({ dirs, lmtp: dovecot.ports.lmtp as number, users: [...users.values()] }),
    );
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

  const started = dovecot;
  const { imap, pop3 } = started.ports;
  const home = (u: BenchUser) => path.dirname(started.maildir(u.login.split('@')[0] ?? ''));
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
      const cur = path.join(home(user), 'Maildir', 'cur');
      const stamp = Math.floor(Date.now() / 1000);
      for (const { raw } of messages) {
        sequence += 1;
        const file = path.join(cur, `${stamp}.M${sequence}P${process.pid}.bench,S=${raw.length}:2,`);
        fs.writeFileSync(file, raw);
        fs.chownSync(file, MAIL_UID, MAIL_GID);
      }
      started.resync(user.login.split('@')[0] ?? '');
    },
    async clone(user, count, source) {
      const dir = (u: BenchUser) => path.join(home(u), 'Maildir', 'cur');
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
      started.resync(user.login.split('@')[0] ?? '');
    },
    serverPids() {
      return [...children, started.process].flatMap((child) => (child.pid ? processTree(child.pid) : []));
    },
    async stop() {
      const exits = children.map((child) =>
        child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r)),
      );
      stopSync();
      process.removeListener('exit', stopSync);
      await started.stop();
      const killer = setTimeout(() => {
        for (const child of children) child.kill('SIGKILL');
      }, 10_000);
      await Promise.all(exits);
      clearTimeout(killer);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
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
