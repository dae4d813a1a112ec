import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RestartCounter, reportedStart } from '../src/restarts.js';

describe('restart counting from reported start times', () => {
  it('counts a changed start time as one restart and ignores the first sighting', () => {
    const c = new RestartCounter(3, 600_000);
    expect(c.observe('wildduck-1', 'A', 0)).toBe(false);
    expect(c.observe('wildduck-1', 'A', 1_000)).toBe(false);
    expect(c.observe('wildduck-1', 'B', 2_000)).toBe(true);
    expect(c.observe('haraka-1', 'X', 2_000)).toBe(false);
    expect(c.recent(3_000)).toEqual({ 'wildduck-1': 1 });
    expect(c.looping(3_000)).toEqual([]);
  });

  it('calls three restarts within the window a crash loop, and forgets them after it', () => {
    const c = new RestartCounter(3, 600_000);
    c.observe('wildduck-2', 's0', 0);
    for (const [i, at] of [10_000, 20_000, 30_000].entries()) c.observe('wildduck-2', `s${i + 1}`, at);
    expect(c.looping(31_000)).toEqual(['wildduck-2']);
    expect(c.recent(10_000 + 600_000)).toEqual({ 'wildduck-2': 2 });
    expect(c.looping(30_000 + 600_000)).toEqual([]);
  });

  it('reads the start time from a health endpoint, whatever its status', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, startedAt: '2026-01-01T00:00:00.000Z' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await reportedStart('127.0.0.1', port, 2_000)).toBe('2026-01-01T00:00:00.000Z');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(await reportedStart('127.0.0.1', 1, 500)).toBeUndefined();
  });
});
