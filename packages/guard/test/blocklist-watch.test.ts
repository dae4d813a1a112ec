import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BlocklistWatch } from '../src/blocklist-watch.js';
import { createMetrics } from '../src/metrics.js';
import { GuardState } from '../src/state.js';

const settings = {
  ips: ['192.0.2.1'],
  domains: [],
  ipZones: ['bl.test'],
  domainZones: [],
  intervalMs: 1_000,
  dnsTimeoutMs: 100,
};
const NAME = '1.2.0.192.bl.test';

/** A resolver scripted per round: an answer list, "none" (NXDOMAIN) or "fail" (timeout). */
function scripted() {
  let next: string[] | 'none' | 'fail' = 'none';
  const resolve = async (name: string) => {
    expect(name).toBe(NAME);
    if (next === 'fail') throw Object.assign(new Error('timeout'), { code: 'ETIMEOUT' });
    if (next === 'none') throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
    return next;
  };
  return {
    resolve,
    set: (v: typeof next) => {
      next = v;
    },
  };
}

describe('blocklist watch', () => {
  it('opens one incident while listed, keeps it open while unknown, resolves only on a real "not listed"', async () => {
    const state = new GuardState();
    const metrics = createMetrics();
    const dns = scripted();
    const watch = new BlocklistWatch(settings, state, metrics, pino({ level: 'silent' }), dns.resolve);
    const opened: number[] = [];
    const resolved: number[] = [];
    state.onTransition((t) => (t.kind === 'opened' ? opened : t.kind === 'resolved' ? resolved : []).push(t.incident.id));

    dns.set(['127.0.0.2']);
    await watch.check();
    const listedSince = watch.entries.get('ip 192.0.2.1 bl.test')?.since;
    expect(state.components.get('blocklist')?.status).toBe('degraded');
    expect(opened).toHaveLength(1);

    dns.set('fail');
    await watch.check();
    expect(state.components.get('blocklist')?.status).toBe('unknown');
    expect(watch.entries.get('ip 192.0.2.1 bl.test')?.listing.state).toBe('unknown');
    expect(await metrics.registry.metrics()).not.toMatch(/^kura_guard_blocklist_listed\{/m);
    expect(resolved).toHaveLength(0);

    dns.set(['127.0.0.2']);
    await watch.check();
    // Still the same incident and the same "since": unknown in between neither closed it nor opened another.
    expect(opened).toHaveLength(1);
    expect(watch.entries.get('ip 192.0.2.1 bl.test')?.since).toBe(listedSince);

    dns.set('none');
    await watch.check();
    expect(state.components.get('blocklist')?.status).toBe('up');
    expect(resolved).toEqual(opened);
    expect(await metrics.registry.metrics()).toMatch(/^kura_guard_blocklist_listed\{kind="ip",target="192.0.2.1",zone="bl.test"\} 0$/m);
  });

  it('is off (no component, no lookups) until own IPs or domains are configured', async () => {
    const state = new GuardState();
    const watch = new BlocklistWatch({ ...settings, ips: [] }, state, createMetrics(), pino({ level: 'silent' }), async () => {
      throw new Error('no lookup expected');
    });
    await watch.check();
    expect(watch.enabled).toBe(false);
    expect(state.components.has('blocklist')).toBe(false);
  });
});
