import net from 'node:net';

/**
 * Runs `use` against a loopback relay that opens each connection to
 * host:port with a PROXY protocol (v1) header naming this process as the
 * client. WildDuck instances behind HAProxy expect that header on every
 * connection; the guard's per-instance probes talk to them directly, with
 * unmodified clients (imapflow), through this relay.
 */
export async function viaProxyProtocol<T>(host: string, port: number, use: (relayPort: number) => Promise<T>): Promise<T> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    upstream.once('connect', () => {
      const family = net.isIPv6(upstream.localAddress ?? '') ? 'TCP6' : 'TCP4';
      upstream.write(`PROXY ${family} ${upstream.localAddress} ${upstream.remoteAddress} ${upstream.localPort} ${upstream.remotePort}\r\n`);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  try {
    return await use((server.address() as net.AddressInfo).port);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}
