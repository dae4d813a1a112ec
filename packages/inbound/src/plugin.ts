/**
 * Kura's Haraka plugin. Haraka copies these exports onto its plugin object,
 * so each hook runs with `this` bound to that object. Hooks read like the
 * SMTP dialogue; each one delegates to a module with a single concern.
 */
import { hookTimeouts, internalHost, isSecured, type KuraHook } from '@kura/config';
import { outboundCounts } from '@kura/store';
import { advertiseSize, checkDeclaredSize, recordAttempt, stopSpoolingPastLimit } from './admission.js';
import { codes, dsn } from './codes.js';
import { deliverMessage } from './deliver.js';
import type { HarakaAddress, HarakaConnection, HarakaPlugin, Next } from './haraka.js';
import { startInboundHealth } from './health.js';
import { checkMessage } from './loops.js';
import { startMetricsServer, trackOutboundQueue } from './metrics.js';
import { startOutboundWorker } from './outbound-worker.js';
import { checkRecipient } from './recipients.js';
import { closeStore, getStore, inboundConfig, setStoreLogger } from './store-handle.js';
import { reloadCertificatesOnChange } from './tls-reload.js';
import { checkClient, judgeMessage, stripHeaders } from './trust.js';

export function register(this: HarakaPlugin) {
  // Fail at start-up, not at the first message, when the config is missing.
  inboundConfig();
  setStoreLogger((message) => this.logerror(message));
  stopOutbound = startOutboundWorker({ info: (m) => this.loginfo(m), warn: (m) => this.logwarn(m), error: (m) => this.logerror(m) });
  const metricsPort = Number(process.env.KURA_METRICS_PORT);
  if (metricsPort) {
    trackOutboundQueue(async () => outboundCounts(await getStore()));
    startMetricsServer(metricsPort, internalHost(inboundConfig()));
  }
  startInboundHealth();
  // Secured profile: Haraka's tls plugin serves STARTTLS; a renewed certificate is taken without a restart.
  const { cert, key } = inboundConfig().security.tls;
  if (isSecured(inboundConfig()) && cert && key) {
    stopTlsReload = reloadCertificatesOnChange({ cert, key }, { info: (m) => this.loginfo(m), error: (m) => this.logerror(m) });
  }
  registerHooks(this);
}

export function check_blocklists(this: HarakaPlugin, next: Next, connection: HarakaConnection) {
  // A blocklist check that breaks lets the client in (next() without a verdict), never a reject.
  checkClient(this, next, connection).catch((err: unknown) => {
    connection.logerror(this, `blocklist check failed, letting the client in: ${(err as Error).message}`);
    next();
  });
}

/**
 * Each hook gets its own Haraka timer, a margin after Kura's own deadline for
 * that phase (hookTimeouts), so the reply a client gets is Kura's documented
 * one (e.g. `451 4.3.0` after a lane wait) and never Haraka's generic "plugin
 * timeout". Haraka gives every `hook_*` method the plugin's single timeout,
 * so the hooks are named `on_<phase>` and registered here instead.
 */
function registerHooks(plugin: HarakaPlugin) {
  const timeouts = hookTimeouts(inboundConfig());
  const hooks: Partial<Record<KuraHook, string>> = {
    // Optional: only asked when zones are configured.
    ...(inboundConfig().trust.blocklists.zones.length > 0 ? { connect: 'check_blocklists' } : {}),
    capabilities: 'on_capabilities',
    mail: 'on_mail',
    rcpt: 'on_rcpt',
    data_post: 'on_data_post',
    queue: 'on_queue',
  };
  const fallback = plugin.timeout;
  for (const [hook, method] of Object.entries(hooks) as Array<[KuraHook, string]>) {
    plugin.timeout = timeouts[hook].harakaSeconds;
    plugin.register_hook(hook, method);
  }
  plugin.timeout = fallback;
}

export function on_capabilities(this: HarakaPlugin, next: Next, connection: HarakaConnection & { capabilities: string[] }) {
  advertiseSize(next, connection);
}

export function on_mail(this: HarakaPlugin, next: Next, connection: HarakaConnection, params: [unknown, Record<string, string>?]) {
  checkDeclaredSize(this, next, connection, params);
}

export function on_rcpt(this: HarakaPlugin, next: Next, connection: HarakaConnection, params: [HarakaAddress]) {
  recordAttempt(connection, params[0].address);
  guarded(this, next, connection, codes.DENYSOFT, () => checkRecipient(this, next, connection, params));
}

// DATA starts: stop spooling once the message passes the size limit (answered 552 5.3.4 at the end).
export function hook_data(this: HarakaPlugin, next: Next, connection: HarakaConnection) {
  stopSpoolingPastLimit(connection);
  next();
}

export function on_data_post(this: HarakaPlugin, next: Next, connection: HarakaConnection) {
  // Forged Kura headers go first, before any check adds Kura's own; authentication and
  // spam scanning run only for messages that passed the cheap size and loop checks.
  const thenJudge: Next = (code, message) => {
    if (code !== undefined && code !== codes.CONT) return next(code, message);
    guarded(this, next, connection, codes.DENYSOFT, () => judgeMessage(this, next, connection));
  };
  guarded(this, next, connection, codes.DENYSOFT, async () => {
    stripHeaders(this, connection);
    await checkMessage(this, thenJudge, connection);
  });
}

export function on_queue(this: HarakaPlugin, next: Next, connection: HarakaConnection) {
  guarded(this, next, connection, codes.CONT, () => deliverMessage(this, next, connection));
}

/**
 * A bug in a hook must cost a retry, never the process: an escaped error
 * answers 451 for this transaction and Haraka keeps serving everyone else.
 */
function guarded(plugin: HarakaPlugin, next: Next, connection: HarakaConnection, tempFail: number, hook: () => Promise<unknown>) {
  hook().catch((err: unknown) => {
    connection.logerror(plugin, `internal error, answering 451: ${(err as Error).stack ?? String(err)}`);
    next(tempFail, dsn.sys_unspecified('Internal error, try again later', 451));
  });
}

let stopOutbound = () => {};
let stopTlsReload = () => {};

export function shutdown(this: HarakaPlugin) {
  stopOutbound();
  stopTlsReload();
  void closeStore();
}
