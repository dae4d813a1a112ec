import { createRequire } from 'node:module';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
// WildDuck's connection classes as Kura runs them (patches/…nodelay.patch applied by patch-package).
const POP3Connection = require('@zone-eu/wildduck/lib/pop3/connection.js');
const { IMAPConnection } = require('@zone-eu/wildduck/imap-core/lib/imap-connection.js');

const quiet = { info() {}, debug() {}, error() {}, warn() {} };
const sockets: net.Socket[] = [];
let server: net.Server | undefined;

/** The server side of a real loopback connection, with every setNoDelay call recorded. */
async function acceptedSocket(): Promise<{ socket: net.Socket; noDelay: unknown[] }> {
  const accepted = new Promise<net.Socket>((resolve) => {
    server = net.createServer(resolve).listen(0, '127.0.0.1');
  });
  await new Promise((resolve) => server?.once('listening', resolve));
  const address = server?.address() as net.AddressInfo;
  sockets.push(net.connect(address.port, '127.0.0.1'));
  const socket = await accepted;
  sockets.push(socket);
  const noDelay: unknown[] = [];
  const original = socket.setNoDelay.bind(socket);
  socket.setNoDelay = (value?: boolean) => {
    noDelay.push(value);
    return original(value);
  };
  return { socket, noDelay };
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('WildDuck connections send replies without waiting for ACKs (Nagle off)', () => {
  it('a POP3 connection switches Nagle off on its socket', async () => {
    const { socket, noDelay } = await acceptedSocket();
    new POP3Connection({ options: {}, logger: quiet }, socket, { remoteAddress: '127.0.0.1', id: 'test' });
    expect(noDelay).toEqual([true]);
  });

  it('an IMAP connection switches Nagle off on its socket', async () => {
    const { socket, noDelay } = await acceptedSocket();
    new IMAPConnection({ options: {}, logger: quiet, skipFetchLog: true }, socket, { remoteAddress: '127.0.0.1', id: 'test' });
    expect(noDelay).toEqual([true]);
  });
});
