/**
 * Kura's Haraka plugin. Haraka copies these exports onto its plugin object,
 * so each hook runs with `this` bound to that object. Hooks read like the
 * SMTP dialogue; each one delegates to a module with a single concern.
 */
import { advertiseSize, checkDeclaredSize, recordAttempt, stopSpoolingPastLimit } from './admission.js';
import { codes, dsn } from './codes.js';
import { deliverMessage } from './deliver.js';
import type { HarakaAddress, HarakaConnection, HarakaPlugin, Next } from './haraka.js';
import { startInboundHealth } from './health.js';
import { checkMessage } from './loops.js';
import { startMetricsServer } from './metrics.js';
import { startOutboundWorker } from './outbound-worker.js';
import { checkRecipient } from './recipients.js';
import { closeStore, inboundConfig, setStoreLogger } from './store-handle.js';

export function register(this: HarakaPlugin) {
  // Fail at start-up, not at the first message, when the config is missing.
  inboundConfig();
  setStoreLogger((message) => this.logerror(message));
  stopOutbound = startOutboundWorker({ info: (m) => this.loginfo(m), error: (m) => this.logerror(m) });
  const metricsPort = Number(process.env.KURA_METRICS_PORT);
  if (metricsPort) startMetricsServer(metricsPort, inboundConfig().host);
  startInboundHealth();
}

export function hook_capabilities(this: HarakaPlugin, next: Next, connection: HarakaConnection & { capabilities: string[] }) {
  advertiseSize(next, connection);
}

export function hook_mail(this: HarakaPlugin, next: Next, connection: HarakaConnection, params: [unknown, Record<string, string>?]) {
  checkDeclaredSize(this, next, connection, params);
}

export function hook_rcpt(this: HarakaPlugin, next: Next, connection: HarakaConnection, params: [HarakaAddress]) {
  recordAttempt(connection, params[0].address);
  guarded(this, next, connection, codes.DENYSOFT, () => checkRecipient(this, next, connection, params));
}

export function hook_data(this: HarakaPlugin, next: Next, connection: HarakaConnection) {
  stopSpoolingPastLimit(connection);
  next();
}

export function hook_data_post(this: HarakaPlugin, next: Next, connection: HarakaConnection) {
  guarded(this, next, connection, codes.DENYSOFT, () => checkMessage(this, next, connection));
}

export function hook_queue(this: HarakaPlugin, next: Next, connection: HarakaConnection) {
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

export function shutdown(this: HarakaPlugin) {
  stopOutbound();
  void closeStore();
}
