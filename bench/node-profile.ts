/**
 * Takes a CPU profile of a running Node service (Haraka, WildDuck) without restarting it: send the process SIGUSR1
 * first (`kill -USR1 <pid>`: Node opens its inspector on 127.0.0.1:9229), then
 *
 *   node bench/node-profile.ts --seconds 15 --out /tmp/haraka.cpuprofile [--port 9229]
 *
 * The profile opens in Chrome's DevTools or any .cpuprofile viewer. Profiling aid only; the inspector stays open
 * until the service restarts, so use it on a test stack, never on a production host.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9229' },
    seconds: { type: 'string', default: '15' },
    out: { type: 'string', default: 'node.cpuprofile' },
  },
});

const targets = (await (await fetch(`http://127.0.0.1:${values.port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
const url = targets[0]?.webSocketDebuggerUrl;
if (!url) throw new Error(`no inspector target on 127.0.0.1:${values.port}: send the process SIGUSR1 first`);
const socket = new WebSocket(url);
const pending = new Map<number, (result: Record<string, unknown>) => void>();
let lastId = 0;
socket.onmessage = (event) => {
  const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown> };
  if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
};
const send = (method: string, params: Record<string, unknown> = {}) =>
  new Promise<Record<string, unknown>>((resolve) => {
    const id = ++lastId;
    pending.set(id, resolve);
    socket.send(JSON.stringify({ id, method, params }));
  });
await new Promise((resolve, reject) => {
  socket.onopen = resolve;
  socket.onerror = reject;
});
await send('Profiler.enable');
await send('Profiler.setSamplingInterval', { interval: 200 });
await send('Profiler.start');
await new Promise((resolve) => setTimeout(resolve, Number(values.seconds) * 1000));
const { profile } = await send('Profiler.stop');
writeFileSync(values.out, JSON.stringify(profile));
socket.close();
process.stderr.write(`profile written to ${values.out}\n`);
