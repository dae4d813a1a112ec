import { recordTraffic } from '@kura/store';
import { codes, dsn } from './codes.js';
import type { HarakaConnection, HarakaTransaction, Next } from './haraka.js';
import { messageVerdicts } from './metrics.js';
import { getStore, inboundConfig } from './store-handle.js';

/** EHLO: advertise the size limit that MAIL FROM and DATA enforce. */
export function advertiseSize(next: Next, connection: HarakaConnection & { capabilities: string[] }) {
  // Haraka lists its own (disabled, "SIZE 0") limit; Kura's is the one that applies.
  const others = connection.capabilities.filter((c) => !/^SIZE\b/i.test(c));
  connection.capabilities.splice(0, connection.capabilities.length, ...others, `SIZE ${inboundConfig().smtp.maxMessageBytes}`);
  next();
}

/**
 * DATA: once the message is past the size limit, the rest of the stream is counted (data_bytes) but no
 * longer spooled, so an endless DATA costs neither memory nor disk; data_post then answers 552 5.3.4.
 */
export function stopSpoolingPastLimit(connection: HarakaConnection): void {
  const txn = connection.transaction as (HarakaTransaction & { add_data(line: Buffer): void }) | null;
  if (!txn) return;
  const max = inboundConfig().smtp.maxMessageBytes;
  const addData = txn.add_data.bind(txn);
  txn.add_data = (line: Buffer) => {
    if (txn.data_bytes <= max) addData(line);
  };
}

/** The SIZE= the client declared at MAIL FROM (0 when it declared none). */
export const DECLARED_SIZE = 'kura.declaredSize';

/** MAIL FROM with SIZE=: refuse a message that can never be accepted before it is sent (RFC 1870: 552). */
export function checkDeclaredSize(plugin: unknown, next: Next, connection: HarakaConnection, params: [unknown, Record<string, string>?]) {
  const declared = Number(params[1]?.SIZE ?? params[1]?.size ?? 0);
  const max = inboundConfig().smtp.maxMessageBytes;
  if (connection.transaction) connection.transaction.notes[DECLARED_SIZE] = declared;
  if (declared > max) {
    connection.transaction?.results.add(plugin, { fail: `size:declared:${declared}` });
    messageVerdicts.inc({ result: 'rejected', reason: 'size' });
    return next(codes.DENY, dsn.create(552, `Message size ${declared} exceeds the limit of ${max} bytes`, 3, 4));
  }
  next();
}

/** Counts every recipient attempt per client IP, sender and recipient for `kura top`. Never delays mail. */
export function recordAttempt(connection: HarakaConnection, recipient: string): void {
  const sender = connection.transaction?.mail_from.address ?? '';
  void getStore()
    .then((store) => recordTraffic(store.redis, { ip: connection.remote.ip, sender, recipient }))
    .catch(() => undefined);
}
