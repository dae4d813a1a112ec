import { startDeliveryAgent } from '@kura/outbound';
import { getStore, inboundConfig } from './store-handle.js';

/**
 * Runs Kura's delivery agent (package @kura/outbound) inside each MX process:
 * the outbound queue lives in the shared store, so every MX node sends a share
 * of it and the loss of one only delays its leased entries.
 */
export function startOutboundWorker(log: { info(m: string): void; warn(m: string): void; error(m: string): void }): () => void {
  const config = inboundConfig();
  const { relay, mxPort } = config.outbound;
  log.info(relay ? `outbound mail leaves through the relay ${relay}` : `outbound mail goes to each recipient domain's MX (port ${mxPort})`);
  const agent = startDeliveryAgent({ config, store: getStore, log });
  return () => void agent.stop();
}
