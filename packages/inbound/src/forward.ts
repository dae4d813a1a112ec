import { FORWARD_HEADER, type ForwardEvent, type ForwardJob, type Store } from '@kura/store';
import type { ObjectId } from 'mongodb';
import type { AuthOutcome } from './authentication.js';
import { arcSeals, forwards } from './forward-metrics.js';
import type { HarakaTransaction } from './haraka.js';
import { inboundConfig } from './store-handle.js';

export interface InboundForward {
  store: Store;
  txn: HarakaTransaction;
  userId: ObjectId;
  deliveryKey?: string;
  overForwardLimit: boolean;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * The store's forward job for a message the MX received: the loop count from
 * its X-Kura-Forwarded fields, the ARC seal over the verdicts Kura computed at
 * DATA, and the MX's own forward metrics.
 */
export function inboundForwardJob(f: InboundForward): ForwardJob {
  const { hostname } = inboundConfig();
  const auth = f.txn.notes['kura.auth'] as AuthOutcome | undefined;
  const hasChain = f.txn.header.get_all('ARC-Seal').length > 0;
  // ARC's chain validation result is none, pass or fail; a chain Kura could not judge counts as failed.
  const cv = auth && ['none', 'pass', 'fail'].includes(auth.verdicts.arc) ? auth.verdicts.arc : hasChain ? 'fail' : 'none';
  return {
    store: f.store,
    config: inboundConfig(),
    userId: f.userId,
    deliveryKey: f.deliveryKey,
    overForwardLimit: f.overForwardLimit,
    forwardedBy: f.txn.header.get_all(FORWARD_HEADER),
    arc: { authResults: auth?.header ?? `${hostname}; none`, cv: cv as ForwardJob['arc']['cv'] },
    log: f.log,
    count: (event: ForwardEvent) => (event.kind === 'forward' ? forwards : arcSeals).inc({ result: event.result }),
  };
}
