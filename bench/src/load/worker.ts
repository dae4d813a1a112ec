/**
 * A load-generator process. The bench starts one per measurement so that the
 * load never shares an event loop with the servers it measures (nor with the
 * orchestrator). Job on argv[2] as JSON; result as one JSON line on stdout.
 * The idle job prints {"ready":…} first and holds its connections until a
 * line arrives on stdin.
 */
import readline from 'node:readline';
import { ImapConnection } from '../clients/imap.ts';
import { Pop3Connection } from '../clients/pop3.ts';
import { SmtpConnection } from '../clients/smtp.ts';
import { makeMessage } from '../messages.ts';
import { percentile } from '../stats.ts';
import type { FloodJob, IdleJob, InboundJob, LoadJob, LoginJob, Pop3Job, ReadJob } from './jobs.ts';
import { VisibilityWatcher } from './watcher.ts';

const SENDER = 'registry@campus.example';
const MB = 1024 * 1024;

async function inbound(job: InboundJob) {
  const { endpoint, user } = job;
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const messages = job.sizes.map((bytes, i) => {
    const id = `${runId}-${i}`;
    return { id, raw: makeMessage({ id, to: user.address, bytes, seed: job.seed + i }) };
  });
  const totalBytes = messages.reduce((sum, m) => sum + m.raw.length, 0);
  const watcher = await VisibilityWatcher.start(endpoint.imap, endpoint.host, user);
  const startedAt = new Map<string, number>();
  const acceptMs: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const t0 = Date.now();
  const sender = async () => {
    const smtp = await SmtpConnection.open(endpoint.smtp, endpoint.host);
    try {
      while (next < messages.length) {
        const message = messages[next++] as (typeof messages)[number];
        const start = Date.now();
        startedAt.set(message.id, start);
        try {
          await smtp.send(SENDER, user.address, message.raw);
          acceptMs.push(Date.now() - start);
        } catch (err) {
          failures.push((err as Error).message);
          startedAt.delete(message.id);
        }
      }
    } finally {
      await smtp.close();
    }
  };
  await Promise.all(Array.from({ length: job.senders }, sender));
  const acceptedAt = Date.now();
  const accepted = [...startedAt.keys()];
  await watcher.waitFor(accepted, job.timeoutMs, job.stallMs);
  await watcher.stop();
  const latencies = accepted
    .filter((id) => watcher.seenAt.has(id))
    .map((id) => (watcher.seenAt.get(id) as number) - (startedAt.get(id) as number));
  const lastVisible = Math.max(...accepted.map((id) => watcher.seenAt.get(id) ?? 0));
  const elapsed = (lastVisible > 0 ? lastVisible : Date.now()) - t0;
  return {
    messages: messages.length,
    bytes: totalBytes,
    accepted: accepted.length,
    visible: latencies.length,
    failures: failures.slice(0, 5),
    elapsedMs: elapsed,
    acceptPhaseMs: acceptedAt - t0,
    messagesPerSecond: (latencies.length / elapsed) * 1000,
    megabytesPerSecond: (totalBytes / MB / elapsed) * 1000,
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP99Ms: percentile(latencies, 0.99),
    acceptP50Ms: percentile(acceptMs, 0.5),
  };
}

async function flood(job: FloodJob) {
  const { endpoint, user } = job;
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  // One big body, reused with a fresh id header each time: generating 20 MB per message would load this process, not the server.
  const big = makeMessage({ id: `${runId}-flood`, to: user.address, bytes: job.floodBytes, seed: job.seed });
  const watcher = await VisibilityWatcher.start(endpoint.imap, endpoint.host, user);
  let flooding = true;
  let floodSent = 0;
  const floodErrors: string[] = [];
  const flooder = (async () => {
    const smtp = await SmtpConnection.open(endpoint.smtp, endpoint.host);
    try {
      while (flooding) {
        const raw = Buffer.concat([Buffer.from(`X-Flood: ${runId}-${floodSent}\r\n`), big]);
        await smtp.send(SENDER, user.address, raw).then(
          () => floodSent++,
          (err: Error) => floodErrors.push(err.message),
        );
      }
    } finally {
      await smtp.close();
    }
  })();
  // Let the flood get going before the small mail starts.
  await new Promise((r) => setTimeout(r, 500));
  const smtp = await SmtpConnection.open(endpoint.smtp, endpoint.host);
  const startedAt = new Map<string, number>();
  const sends: Promise<unknown>[] = [];
  const small = await SmtpConnection.open(endpoint.smtp, endpoint.host);
  const connections = [smtp, small];
  for (let i = 0; i < job.smallCount; i++) {
    const id = `${runId}-small-${i}`;
    const raw = makeMessage({ id, to: user.address, bytes: job.smallBytes, seed: job.seed + i + 1 });
    const connection = connections[i % connections.length] as SmtpConnection;
    const previous = sends[i - connections.length] ?? Promise.resolve();
    // Each connection sends one message at a time; the two alternate on a fixed clock.
    sends.push(
      previous.then(() => {
        startedAt.set(id, Date.now());
        return connection.send(SENDER, user.address, raw).catch(() => startedAt.delete(id));
      }),
    );
    await new Promise((r) => setTimeout(r, job.smallIntervalMs));
  }
  await Promise.all(sends);
  const ids = [...startedAt.keys()];
  await watcher.waitFor(ids, job.timeoutMs, job.stallMs);
  flooding = false;
  await Promise.all(connections.map((c) => c.close()));
  await watcher.stop();
  await flooder.catch(() => undefined);
  const latencies = ids
    .filter((id) => watcher.seenAt.has(id))
    .map((id) => (watcher.seenAt.get(id) as number) - (startedAt.get(id) as number));
  return {
    smallMessages: job.smallCount,
    smallVisible: latencies.length,
    floodMessagesAccepted: floodSent,
    floodErrors: floodErrors.slice(0, 3),
    smallP50Ms: percentile(latencies, 0.5),
    smallP99Ms: percentile(latencies, 0.99),
  };
}

async function login(job: LoginJob) {
  const { endpoint, user } = job;
  let logins = 0;
  const errors: string[] = [];
  const deadline = Date.now() + job.durationMs;
  const t0 = Date.now();
  const worker = async () => {
    while (Date.now() < deadline) {
      try {
        const connection = await ImapConnection.login(endpoint.imap, user.login, user.password, endpoint.host);
        logins++;
        await connection.logout();
      } catch (err) {
        errors.push((err as Error).message);
        if (errors.length > 20) return;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  const elapsed = Date.now() - t0;
  return { logins, elapsedMs: elapsed, loginsPerSecond: (logins / elapsed) * 1000, errors: errors.slice(0, 3) };
}

/** SELECT, header FETCH, full-body FETCH and two SEARCHes on one connection, each within its budget. */
async function read(job: ReadJob) {
  const { endpoint, user } = job;
  const connection = await ImapConnection.login(endpoint.imap, user.login, user.password, endpoint.host);
  try {
    let t = performance.now();
    const selected = await connection.command('SELECT INBOX', { collect: true });
    const exists = Number(selected.lines.map((l) => /^\* (\d+) EXISTS/.exec(l)?.[1]).find(Boolean) ?? 0);
    const selectMs = performance.now() - t;
    const batched = async (items: string) => {
      const start = performance.now();
      let messages = 0;
      let bytes = 0;
      for (let from = 1; from <= exists; from += job.batch) {
        const to = Math.min(exists, from + job.batch - 1);
        const reply = await connection.command(`FETCH ${from}:${to} ${items}`);
        if (!/^\S+ OK/.test(reply.status)) throw new Error(`FETCH ${items}: ${reply.status}`);
        messages += to - from + 1;
        bytes += reply.bytes;
        if (performance.now() - start > job.budgetMs) break;
      }
      const ms = performance.now() - start;
      return { messages, bytes, ms, complete: messages === exists };
    };
    const headers = await batched('(ENVELOPE FLAGS BODYSTRUCTURE)');
    const bodies = await batched('(BODY.PEEK[])');
    const search = async (criteria: string) => {
      t = performance.now();
      const reply = await connection.command(`UID SEARCH ${criteria}`, { collect: true });
      const ms = performance.now() - t;
      if (!/^\S+ OK/.test(reply.status)) return { ms, hits: -1, status: reply.status };
      const hits = reply.lines.filter((l) => l.startsWith('* SEARCH')).flatMap((l) => l.split(' ').slice(2)).length;
      return { ms, hits, status: 'OK' };
    };
    const byHeader = await search(`HEADER Subject "${job.headerNeedle}"`);
    const byBody = await search(`BODY "${job.bodyNeedle}"`);
    return {
      exists,
      selectMs,
      headers: { ...headers, messagesPerSecond: (headers.messages / headers.ms) * 1000, selectPlusFetchMs: selectMs + headers.ms },
      bodies: { ...bodies, megabytesPerSecond: (bodies.bytes / MB / bodies.ms) * 1000 },
      searchHeader: byHeader,
      searchBody: byBody,
    };
  } finally {
    await connection.logout();
  }
}

async function idle(job: IdleJob) {
  const { endpoint } = job;
  const connections: ImapConnection[] = [];
  const idles: unknown[] = [];
  const t0 = Date.now();
  // A few at a time: the figure is memory held by idle sessions, not login speed.
  let next = 0;
  const opener = async () => {
    while (next < job.connections) {
      const user = job.users[next++ % job.users.length] as (typeof job.users)[number];
      const connection = await ImapConnection.login(endpoint.imap, user.login, user.password, endpoint.host);
      await connection.command('SELECT INBOX');
      idles.push(await connection.idle());
      connections.push(connection);
    }
  };
  await Promise.all(Array.from({ length: 8 }, opener));
  process.stdout.write(`${JSON.stringify({ ready: connections.length, openMs: Date.now() - t0 })}\n`);
  await new Promise<void>((resolve) => readline.createInterface({ input: process.stdin }).once('line', () => resolve()));
  for (const c of connections) c.destroy();
  return { connections: connections.length, openMs: Date.now() - t0 };
}

async function pop3(job: Pop3Job) {
  const { endpoint, user } = job;
  const connection = await Pop3Connection.login(endpoint.pop3, user.login, user.password, endpoint.host);
  try {
    let t = performance.now();
    const stat = await connection.command('STAT');
    const statMs = performance.now() - t;
    const count = Number(/^\+OK (\d+)/.exec(stat.status)?.[1] ?? 0);
    t = performance.now();
    let bytes = 0;
    let retrieved = 0;
    for (let i = 1; i <= count; i++) {
      const reply = await connection.command(`RETR ${i}`, true);
      if (!reply.status.startsWith('+OK')) throw new Error(`RETR ${i}: ${reply.status}`);
      bytes += reply.bytes;
      retrieved++;
      if (performance.now() - t > job.budgetMs) break;
    }
    const ms = performance.now() - t;
    return {
      maildrop: count,
      statMs,
      retrieved,
      bytes,
      ms,
      complete: retrieved === count,
      megabytesPerSecond: (bytes / MB / ms) * 1000,
    };
  } finally {
    await connection.quit();
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
const runners = { inbound, flood, login, read, idle, pop3 } as Record<string, (job: never) => Promise<unknown>>;
const runner = runners[job.kind];
if (!runner) throw new Error(`unknown load job "${job.kind}"`);
runner(job as never).then(
  (result) => {
    process.stdout.write(`${JSON.stringify({ result })}\n`);
    process.exit(0);
  },
  (err: Error) => {
    process.stdout.write(`${JSON.stringify({ error: err.stack ?? err.message })}\n`);
    process.exit(1);
  },
);
