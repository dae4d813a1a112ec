/**
 * Preloaded (`node --import`) into a WildDuck instance of the high-availability
 * stack: serves the instance's deep health endpoint, which HAProxy checks.
 * Healthy means: IMAP and POP3 answer a real greeting, and WildDuck's own API
 * health check can write to the data tier and round-trip through Redis.
 */
import fs from 'node:fs';
import http from 'node:http';
import { expectGreeting, startHealthEndpoint } from '@kura/store/health-endpoint';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the WildDuck health endpoint is started by \`kura up --ha\``);
  return value;
};

const host = env('KURA_HEALTH_HOST');
// The endpoint and the API listen on the internal address; IMAP and POP3 on `host`.
const internal = process.env.KURA_HEALTH_BIND || host;
// The instance expects HAProxy's PROXY header on every connection (secured profile): the checks send one too.
const proxyHeader = process.env.KURA_HEALTH_PROXY === '1';

startHealthEndpoint({
  host: internal,
  port: Number(env('KURA_HEALTH_PORT')),
  checks: [
    { name: 'imap', run: () => expectGreeting(host, Number(env('KURA_HEALTH_IMAP')), /^\* OK/, 2_000, { proxyHeader }) },
    {
      name: 'pop3',
      run: () =>
        expectGreeting(host, Number(env('KURA_HEALTH_POP3')), /^\+OK/, 2_000, {
          secure: process.env.KURA_HEALTH_POP3_TLS ? { ca: tlsCa() } : undefined,
          proxyHeader,
        }),
    },
    { name: 'data tier and redis', run: () => apiHealth(internal, Number(env('KURA_HEALTH_API'))) },
  ],
});

function tlsCa(): Buffer | undefined {
  const file = process.env.KURA_HEALTH_TLS_CA;
  return file ? fs.readFileSync(file) : undefined;
}

function apiHealth(apiHost: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // The secured profile's API answers nothing without its token, /health included.
    const token = process.env.KURA_HEALTH_API_TOKEN;
    const headers = token ? { 'x-access-token': token } : undefined;
    const req = http.get({ host: apiHost, port, path: '/health', agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        if (res.statusCode === 200) resolve();
        else reject(new Error(`WildDuck /health answered ${res.statusCode}: ${body.slice(0, 200)}`));
      });
    });
    req.on('error', reject);
  });
}
