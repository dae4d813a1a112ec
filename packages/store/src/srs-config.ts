import { isSecured, type KuraConfig, loadSecrets, secretsFile } from '@kura/config';
import { Srs } from './srs.js';

let srs: Srs | undefined;

/**
 * The SRS rewriter of this installation: the rewrite domain from
 * outbound.srsDomain (default: hostname), the key from the installation's
 * secrets (srsSecret; KURA_SRS_SECRET overrides), generated on first use.
 */
export function srsFor(config: KuraConfig): Srs {
  if (srs) return srs;
  const secret = isSecured(config) ? config.secrets.srsSecret : loadSecrets(secretsFile(config)).srsSecret;
  srs = new Srs({ secret, domain: config.outbound.srsDomain ?? config.hostname });
  return srs;
}
