import type { KuraConfig } from '@kura/config';
import { clientTls, pop3Port } from '@kura/guard';
import { drillAccount, ensureDrillAccount } from './account.js';
import { DRILL_REGISTRY } from './registry.js';
import type { DrillActions, DrillContext, DrillName, DrillResult } from './types.js';

/** The drill account's view of the deployment's front (HAProxy in the HA topology), shared by every drill. */
export function drillContext(name: DrillName, config: KuraConfig, log: (line: string) => void): DrillContext {
  const account = drillAccount(config);
  const front = config.ha.haproxy.host ?? config.host;
  const tls = clientTls(config);
  return {
    config,
    imap: { host: front, port: config.ports.imap, user: account.user, pass: account.pass, tls },
    smtp: { host: front, port: config.ports.smtp, to: account.address, hostname: config.hostname },
    frontends: { host: front, imap: config.ports.imap, pop3: pop3Port(config), smtp: config.ports.smtp, ...account, tls },
    prefix: `drill-${name}-${Date.now().toString(36)}`,
    log,
  };
}

/** Runs one drill against a live deployment (the drill account is created first if missing). */
export async function runDrill(name: DrillName, config: KuraConfig, actions: DrillActions): Promise<DrillResult> {
  await ensureDrillAccount(config);
  return DRILL_REGISTRY[name].run(drillContext(name, config, actions.log ?? (() => {})), actions);
}
