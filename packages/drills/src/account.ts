import type { KuraConfig } from '@kura/config';
import { ensureAccount } from '@kura/guard';

export const DRILL_USER = 'kura-drill';

/** The account drills deliver to and log in as (kept apart from the canary, whose mailbox the guard empties). */
export function drillAccount(config: KuraConfig) {
  return { user: DRILL_USER, pass: config.guard.canary.password, address: `${DRILL_USER}@${config.demo.domain}` };
}

export async function ensureDrillAccount(config: KuraConfig): Promise<void> {
  const { user, pass, address } = drillAccount(config);
  await ensureAccount(config, { user, pass, address, name: 'Kura failover drills' });
}
