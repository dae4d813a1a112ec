import { apiHeaders, internalHost, type KuraConfig, loadConfig, withSecurity } from '@kura/config';
import { dkimTxtRecord } from '@kura/outbound';
import { CliError } from '../errors.js';

interface DkimKey {
  id: string;
  domain: string;
  selector: string;
  publicKey: string;
  fingerprint?: string;
  created?: string;
}

async function api<T>(
  config: KuraConfig,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T & { error?: string } }> {
  const url = `http://${internalHost(config)}:${config.ports.api}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', ...apiHeaders(config) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new CliError(
      `cannot reach WildDuck's API at ${url}: ${(err as Error).message}\n      fix: start the stack (npm start) or pass --config`,
    );
  }
  return { status: res.status, json: (await res.json()) as T & { error?: string } };
}

/**
 * `kura dkim <domain>`: the domain's DKIM key as WildDuck's DKIM API manages
 * it, and the TXT record to publish. `--create` makes a 2048-bit RSA key
 * through the API when the domain has none.
 */
export async function dkim(domainArg: string, options: { config?: string; json?: boolean; create?: boolean; selector?: string }) {
  const domain = domainArg.trim().toLowerCase().replace(/\.$/, '');
  if (!/^(\*|[a-z0-9-]+(\.[a-z0-9-]+)+)$/.test(domain)) throw new CliError(`"${domainArg}" is not a domain name (e.g. example.edu)`);
  const selector = options.selector ?? `kura${new Date().getUTCFullYear()}`;
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(selector))
    throw new CliError(`"${selector}" is not a usable selector (letters, digits, ".", "-", "_")`);
  const config = withSecurity(loadConfig({ file: options.config }));
  const resolved = await api<{ id?: string }>(config, 'GET', `/dkim/resolve/${encodeURIComponent(domain)}`);
  let created = false;
  let id = resolved.json.id;
  if (!id) {
    if (resolved.status !== 404) throw new CliError(`WildDuck's API refused the lookup: ${resolved.json.error ?? resolved.status}`);
    if (!options.create)
      throw new CliError(`${domain} has no DKIM key: kura dkim ${domain} --create makes one (mail from it leaves unsigned until then)`);
    const made = await api<{ id?: string }>(config, 'POST', '/dkim', { domain, selector, description: 'created by kura dkim' });
    if (!made.json.id) throw new CliError(`WildDuck's API did not create the key: ${made.json.error ?? made.status}`);
    id = made.json.id;
    created = true;
  }
  const key = await api<DkimKey>(config, 'GET', `/dkim/${id}`);
  if (!key.json.publicKey) throw new CliError(`WildDuck's API did not return the key: ${key.json.error ?? key.status}`);
  const record = dkimTxtRecord(key.json);
  const out = {
    event: created ? 'created' : 'found',
    domain: key.json.domain,
    selector: key.json.selector,
    fingerprint: key.json.fingerprint,
    dns: record,
  };
  if (options.json || !process.stdout.isTTY) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  process.stdout.write(
    [
      `${created ? 'created a DKIM key' : 'DKIM key'} for ${key.json.domain} (selector ${key.json.selector})`,
      '',
      'Publish this TXT record, then mail Kura sends from this domain (and its subdomains without a key of their own) verifies:',
      '',
      `  ${record.zoneLine}`,
      '',
      `Check it: dig +short TXT ${record.name}`,
      '',
    ].join('\n'),
  );
}
