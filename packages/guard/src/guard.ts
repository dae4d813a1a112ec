import path from 'node:path';
import { internalHost, type KuraConfig } from '@kura/config';
import type { Logger } from 'pino';
import { ensureAccount } from './accounts.js';
import { Alerter } from './alerts.js';
import { BlocklistWatch } from './blocklist-watch.js';
import { runCanary } from './canary.js';
import { clientTls, pop3Port, submissionTls } from './client-tls.js';
import { FailoverController } from './failover.js';
import { HaproxyRuntime } from './haproxy-runtime.js';
import { createMetrics, type GuardMetrics } from './metrics.js';
import { DataTierProbe } from './probes/data-tier.js';
import { probeImap } from './probes/imap.js';
import { probeImapInstance } from './probes/imap-instance.js';
import { probePop3 } from './probes/pop3.js';
import { probeRedis } from './probes/redis.js';
import { probeSmtp } from './probes/smtp.js';
import { probeSubmission } from './probes/submission.js';
import { CRASH_LOOP_WINDOW_MS, RestartCounter, reportedStart } from './restarts.js';
import { GuardState, type ProbeOutcome } from './state.js';

export interface Guard {
  state: GuardState;
  metrics: GuardMetrics;
  failover: FailoverController;
  /** Kura's own IPs and domains in DNS blocklists (no pairs configured: disabled). */
  blocklist: BlocklistWatch;
  /** Runs every probe once (also what each interval does). */
  probeOnce(): Promise<void>;
  stop(): Promise<void>;
}

interface Probe {
  id: string;
  run: () => Promise<ProbeOutcome>;
  /** For instance probes: the HAProxy backends the instance serves (failover). */
  failover?: { instance: string; backends: string[] };
}

/**
 * The guard: probes every component on an interval, runs the canary, keeps
 * the incident history, sends alerts and takes the failover actions the
 * platform does not take by itself.
 */
export function createGuard(config: KuraConfig, log: Logger): Guard {
  const g = config.guard;
  // Frontends are reached where HAProxy listens; in production that is another host than the guard's own bind address.
  const host = config.ha.haproxy.host ?? config.host;
  const state = new GuardState(path.join(config.dataDir, 'guard-incidents.jsonl'));
  const metrics = createMetrics({ snapshotDir: config.paths.snapshots });
  const statusUrl = `http://${config.host}:${g.port}/`;
  const alerter = new Alerter(g.alerts, statusUrl, log);
  const runtime = new HaproxyRuntime(config.paths.haproxySocket);
  const secure = clientTls(config);
  const submissionSecure = submissionTls(config);
  const failover = new FailoverController(runtime, g.failover, log, (a) => {
    metrics.failoverActions.inc({ action: a.action, result: a.result });
    void alerter.sendAction(a);
  });
  const dataTier = new DataTierProbe(config.mongodbUri, g.probeTimeoutMs);
  const user = g.canary.username;
  const pass = g.canary.password;
  const canaryAddress = `${user}@${config.demo.domain}`;
  const t = g.probeTimeoutMs;

  state.onTransition((tr) => {
    log.warn({ incident: tr.incident, kind: tr.kind }, `incident ${tr.kind}: ${tr.incident.title} (${tr.incident.detail})`);
    metrics.incidentsOpen.set(state.incidents.filter((i) => i.resolvedAt === undefined).length);
    void alerter.send(tr);
  });

  state.define('smtp', 'Incoming mail (SMTP)', 'new mail is not accepted; senders retry later');
  state.define('imap', 'Reading mail (IMAP)', 'mail apps cannot open mailboxes');
  state.define('pop3', 'Downloading mail (POP3)', 'POP3 mail apps cannot download');
  state.define('submission', 'Sending mail (submission)', 'mail apps cannot send mail');
  state.define('delivery', 'Delivery time', 'new mail is not arriving in mailboxes');
  state.define('datatier', 'Mail storage (data tier)', 'mail cannot be stored or read');
  state.define('redis', 'Sessions and notifications (Redis)', 'logins and new-mail notifications fail');

  const probes: Probe[] = [
    { id: 'smtp', run: () => probeSmtp(host, config.ports.smtp, t) },
    { id: 'imap', run: () => probeImap(host, config.ports.imap, user, pass, t, secure) },
    { id: 'pop3', run: () => probePop3(host, pop3Port(config), user, pass, t, secure) },
    { id: 'submission', run: () => probeSubmission(host, config.ports.submission, t, submissionSecure) },
    {
      id: 'datatier',
      run: async () => {
        const report = await dataTier.run();
        if (report.lagSeconds !== undefined) metrics.replicationLag.set(report.lagSeconds);
        const lagging = report.lagSeconds !== undefined && report.lagSeconds > g.maxReplicationLagSeconds;
        // A member down or lagging: still serving, but with less redundancy than it should have.
        if (lagging) return { detail: `${report.detail} (over ${g.maxReplicationLagSeconds} s)`, degraded: true };
        return report.unhealthyMembers ? { detail: report.detail, degraded: true } : report.detail;
      },
    },
    { id: 'redis', run: () => probeRedis(config.redisUrl, t) },
  ];
  config.ha.wildduck.forEach((w, i) => {
    const name = `wildduck-${i + 1}`;
    const whost = w.host ?? host;
    state.define(name, `WildDuck instance ${i + 1}`, 'its clients reconnect to another instance', true);
    probes.push({
      id: name,
      // Secured: WildDuck expects HAProxy's PROXY header on every connection; the probe sends its own.
      run: () => (secure ? probeImapInstance(whost, w.imap, user, pass, t, secure) : probeImap(whost, w.imap, user, pass, t)),
      failover: { instance: name, backends: secure ? ['imap', 'imaps', 'pop3', ...(w.pop3Stls ? ['pop3-stls'] : [])] : ['imap', 'pop3'] },
    });
  });
  config.ha.haraka.forEach((h, i) => {
    const name = `haraka-${i + 1}`;
    state.define(name, `Haraka instance ${i + 1}`, 'senders retry through another instance', true);
    probes.push({ id: name, run: () => probeSmtp(h.host ?? host, h.smtp, t), failover: { instance: name, backends: ['smtp'] } });
  });
  config.ha.submission.forEach((s, i) => {
    const name = `submission-${i + 1}`;
    state.define(name, `Submission instance ${i + 1}`, 'mail apps send through another instance', true);
    // Behind HAProxy every submission instance expects the PROXY header (failed logins are counted per client address).
    probes.push({ id: name, run: () => probeSubmission(s.host ?? host, s.submission, t, submissionSecure, true) });
  });
  // Restarts counted from every frontend's health endpoint; a crash loop is an incident (and an alert).
  const restarts = new RestartCounter();
  const healthEndpoints = [
    ...config.ha.wildduck.map((w, i) => ({ name: `wildduck-${i + 1}`, host: w.host ?? internalHost(config), port: w.health })),
    ...config.ha.haraka.map((h, i) => ({ name: `haraka-${i + 1}`, host: h.host ?? internalHost(config), port: h.health })),
  ];
  if (healthEndpoints.length) {
    state.define('restarts', 'Frontend restarts', 'a frontend keeps crashing; its clients are cut off each time', true);
    probes.push({
      id: 'restarts',
      run: async () => {
        const now = Date.now();
        await Promise.all(
          healthEndpoints.map(async (e) => {
            const started = await reportedStart(e.host, e.port, t);
            if (started && restarts.observe(e.name, started, now)) {
              metrics.instanceRestarts.inc({ instance: e.name });
              log.warn({ instance: e.name, startedAt: started }, `${e.name} restarted`);
            }
          }),
        );
        const counts = Object.entries(restarts.recent(now)).map(([name, n]) => `${name} ${n}`);
        const window = `${CRASH_LOOP_WINDOW_MS / 60_000} min`;
        const looping = restarts.looping(now);
        if (looping.length) throw new Error(`crash loop: ${counts.join(', ')} restarts in ${window}; see the instances' logs`);
        return counts.length ? `restarts in the last ${window}: ${counts.join(', ')}` : `no restarts in the last ${window}`;
      },
    });
  }
  const blocklist = new BlocklistWatch(g.blocklist, state, metrics, log);
  for (const c of state.components.values()) metrics.setStatus(c.id, c.status);

  async function runProbe(probe: Probe): Promise<void> {
    const started = Date.now();
    try {
      const outcome = await probe.run();
      const detail = typeof outcome === 'string' ? outcome : outcome.detail;
      const degraded = typeof outcome === 'string' ? false : outcome.degraded;
      state.record(probe.id, { ok: true, degraded, detail, latencyMs: Date.now() - started });
      metrics.probeSeconds.observe({ component: probe.id, result: 'ok' }, (Date.now() - started) / 1000);
    } catch (err) {
      state.record(probe.id, { ok: false, detail: (err as Error).message, latencyMs: Date.now() - started });
      metrics.probeSeconds.observe({ component: probe.id, result: 'fail' }, (Date.now() - started) / 1000);
    }
    const c = state.components.get(probe.id);
    if (c) metrics.setStatus(c.id, c.status);
    if (probe.failover && c) await failover.observe(probe.failover.instance, probe.failover.backends, c.failures, c.detail);
  }

  let canaryUserReady = false;
  async function ensureCanaryUser(): Promise<void> {
    if (canaryUserReady) return;
    await ensureAccount(config, { user, pass, address: canaryAddress, name: 'Kura guard canary' }, t);
    canaryUserReady = true;
  }

  /** While a canary is in flight, the status page shows "delayed" as soon as it is overdue, not only when it gives up. */
  let canarySentAt: number | undefined;
  async function canaryRound(): Promise<void> {
    try {
      await ensureCanaryUser();
      const result = await runCanary(
        {
          host,
          smtpPort: config.ports.smtp,
          imapPort: config.ports.imap,
          address: canaryAddress,
          user,
          pass,
          hostname: config.hostname,
          tls: secure,
        },
        {
          timeoutMs: Math.max(g.canaryAlertMs * 2, 10_000),
          stepTimeoutMs: t,
          onSent: (_id, at) => {
            canarySentAt = at;
          },
        },
      );
      metrics.canaryLatency.observe(result.latencyMs / 1000);
      metrics.canaryLast.set(result.latencyMs / 1000);
      metrics.canarySucceeded();
      const slow = result.latencyMs > g.canaryAlertMs;
      state.record('delivery', {
        ok: !slow,
        detail: `canary delivered in ${result.latencyMs} ms${slow ? ` (over the ${g.canaryAlertMs} ms threshold)` : ''}`,
        latencyMs: result.latencyMs,
      });
    } catch (err) {
      metrics.canaryFailed();
      state.record('delivery', { ok: false, detail: `canary failed: ${(err as Error).message}` });
    } finally {
      canarySentAt = undefined;
      const c = state.components.get('delivery');
      if (c) metrics.setStatus(c.id, c.status);
    }
  }

  const timers: NodeJS.Timeout[] = [];
  let probing = false;
  async function probeOnce(): Promise<void> {
    if (probing) return;
    probing = true;
    try {
      await Promise.all(probes.map(runProbe));
      if (canarySentAt !== undefined && Date.now() - canarySentAt > g.canaryAlertMs) {
        state.force('delivery', 'down', `canary accepted ${Math.round((Date.now() - canarySentAt) / 1000)} s ago and not delivered yet`);
      }
    } finally {
      probing = false;
    }
  }
  let canaryRunning = false;
  const canaryTick = () => {
    if (canaryRunning) return;
    canaryRunning = true;
    void canaryRound().finally(() => {
      canaryRunning = false;
    });
  };

  void probeOnce();
  canaryTick();
  timers.push(setInterval(() => void probeOnce(), g.probeIntervalMs));
  timers.push(setInterval(canaryTick, g.canaryIntervalMs));
  if (blocklist.enabled) {
    const blocklistTick = () => void blocklist.check().catch((err: unknown) => log.error({ err }, 'blocklist check failed'));
    blocklistTick();
    timers.push(setInterval(blocklistTick, g.blocklist.intervalMs));
  }

  return {
    state,
    metrics,
    failover,
    blocklist,
    probeOnce,
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await dataTier.close();
    },
  };
}
