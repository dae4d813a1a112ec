import fs from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../src/stack/probe.js';

/** Ports for test stacks come from outside the kernel's ephemeral range, so outgoing connections cannot take them. */
describe('freePorts', () => {
  it('gives distinct free loopback ports below the ephemeral range', async () => {
    const ports = await freePorts(40);
    expect(new Set(ports).size).toBe(40);
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
    }
    // every one can be listened on right away
    const servers = await Promise.all(
      ports.map(
        (port) =>
          new Promise<net.Server>((resolve, reject) => {
            const server = net.createServer();
            server.once('error', reject);
            server.listen({ host: '127.0.0.1', port }, () => resolve(server));
          }),
      ),
    );
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
});
