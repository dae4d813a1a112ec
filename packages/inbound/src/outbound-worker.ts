import { createRequire } from 'node:module';
import { claimOutbound, markOutboundFailed, markOutboundSent, type OutboundEntry } from '@kura/store';
import { getStore, inboundConfig } from './store-handle.js';

const require = createRequire(import.meta.url);
interface SmtpTransport {
  sendMail(mail: { envelope: { from: string; to: string[] }; raw: Buffer }): Promise<unknown>;
  close(): void;
}
const nodemailer: { createTransport(options: Record<string, unknown>): SmtpTransport } = require('nodemailer');

const IDLE_MS = 1_000;

/**
 * Sends what the outbound queue holds through the configured relay, one entry
 * at a time per MX process. Without a relay it does nothing: entries wait.
 */
export function startOutboundWorker(log: { info(m: string): void; error(m: string): void }): () => void {
  const { outbound } = inboundConfig();
  if (!outbound.relay) {
    log.info('no outbound relay configured: auto-replies stay queued');
    return () => {};
  }
  const [host, port] = outbound.relay.split(':') as [string, string];
  const transport = nodemailer.createTransport({ host, port: Number(port), secure: false, ignoreTLS: true, connectionTimeout: 10_000 });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = async () => {
    let entry: OutboundEntry | null = null;
    try {
      const store = await getStore();
      entry = await claimOutbound(store);
      if (entry) {
        const raw = Buffer.isBuffer(entry.raw) ? entry.raw : Buffer.from((entry.raw as unknown as { buffer: Uint8Array }).buffer);
        try {
          await transport.sendMail({ envelope: entry.envelope, raw });
          await markOutboundSent(store, entry._id);
          log.info(`outbound ${entry.kind} ${entry._id} sent to ${entry.envelope.to.join(', ')}`);
        } catch (err) {
          const code = (err as { responseCode?: number }).responseCode ?? 0;
          await markOutboundFailed(store, entry, (err as Error).message, code >= 500);
          log.error(`outbound ${entry._id} not sent (${(err as Error).message})`);
        }
      }
    } catch (err) {
      log.error(`outbound queue: ${(err as Error).message}`);
    }
    if (!stopped) timer = setTimeout(tick, entry ? 0 : IDLE_MS);
  };
  timer = setTimeout(tick, IDLE_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
    transport.close();
  };
}
