import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type AuthVerdicts, applyPct, dmarcAction, samplePolicy } from '../src/authentication.js';
import { reversed } from '../src/dnsbl.js';
import type { HarakaTransaction } from '../src/haraka.js';
import { judge, parseReport } from '../src/rspamd.js';
import { claimsAuthservId, stripForgedHeaders } from '../src/strip-headers.js';

const require = createRequire(import.meta.url);
const { Header } = require('haraka-email-message') as {
  Header: new () => { parse(lines: string[]): void; header_list: string[]; get_all(n: string): string[] };
};

function parsed(lines: string[]) {
  const header = new Header();
  header.parse(lines);
  return header;
}

describe('stripForgedHeaders', () => {
  it("removes X-Kura-* and our own Authentication-Results in place, keeping every other line's bytes", () => {
    const header = parsed([
      'Received: from a by b;\r\n',
      '\tSun, 1 Jan 2026 00:00:00 +0000\r\n',
      'X-Kura-Scan: clean\r\n',
      'Authentication-Results: MX.kura.test (v=1); spf=pass\r\n',
      'Authentication-Results: relay.example; dkim=pass\r\n',
      'x-KURA-scan-detail: forged\r\n',
      'X-Kura-Loop: mx.kura.test\r\n',
      'Subject:  odd   spacing\r\n',
    ]);
    const removed = stripForgedHeaders({ header } as unknown as HarakaTransaction, 'mx.kura.test');
    expect(removed).toEqual(['x-kura-scan', 'authentication-results', 'x-kura-scan-detail']);
    expect(header.header_list).toEqual([
      'Received: from a by b;\r\n\tSun, 1 Jan 2026 00:00:00 +0000\r\n',
      'Authentication-Results: relay.example; dkim=pass\r\n',
      // Kura's loop marker stays so that mail Kura sent coming back is caught as a loop.
      'X-Kura-Loop: mx.kura.test\r\n',
      'Subject:  odd   spacing\r\n',
    ]);
    expect(header.get_all('Authentication-Results').map((v) => v.trim())).toEqual(['relay.example; dkim=pass']);
    expect(header.get_all('X-Kura-Scan')).toEqual([]);
  });

  it('reads the authserv-id past comments and versions, and only the first token', () => {
    expect(claimsAuthservId('Authentication-Results: (hi) mx.kura.test 1; none', 'mx.kura.test')).toBe(true);
    expect(claimsAuthservId('Authentication-Results: mx.kura.test;spf=pass', 'MX.KURA.TEST')).toBe(true);
    expect(claimsAuthservId('Authentication-Results: other.test; x=mx.kura.test', 'mx.kura.test')).toBe(false);
    expect(claimsAuthservId('Authentication-Results: mx.kura.test.evil; spf=pass', 'mx.kura.test')).toBe(false);
  });
});

describe('DMARC policy', () => {
  const verdicts = (dmarc: string, policy?: string): AuthVerdicts => ({ spf: 'fail', dkim: 'none', dmarc, arc: 'none', policy });
  it('refuses or junks p=reject per config, junks p=quarantine, accepts the rest', () => {
    expect(dmarcAction(verdicts('fail', 'reject'), 'reject')).toBe('reject');
    expect(dmarcAction(verdicts('fail', 'reject'), 'junk')).toBe('junk');
    expect(dmarcAction(verdicts('fail', 'quarantine'), 'reject')).toBe('junk');
    expect(dmarcAction(verdicts('fail', 'none'), 'reject')).toBe('accept');
    expect(dmarcAction(verdicts('temperror'), 'reject')).toBe('accept');
    expect(dmarcAction(verdicts('pass'), 'reject')).toBe('accept');
  });

  const failing = (policy: string, pct?: number): AuthVerdicts => ({ ...verdicts('fail', policy), pct });
  it('pct samples the policy: selected below pct, otherwise the next lower policy (RFC 7489 §6.6.4)', () => {
    const at = (n: number) => () => n;
    expect(samplePolicy(failing('reject', 30), at(29.9))).toMatchObject({ applied: 'reject', sampledOut: false });
    expect(samplePolicy(failing('reject', 30), at(30))).toMatchObject({ applied: 'quarantine', sampledOut: true });
    expect(samplePolicy(failing('quarantine', 30), at(99))).toMatchObject({ applied: 'none', sampledOut: true });
    // pct=0 never applies the policy, pct=100 and an absent pct always do, whatever the sampler says.
    expect(samplePolicy(failing('reject', 0), at(0))).toMatchObject({ applied: 'quarantine', sampledOut: true });
    expect(samplePolicy(failing('reject', 100), at(99.99))).toMatchObject({ applied: 'reject', sampledOut: false });
    expect(samplePolicy(failing('reject'), at(99.99))).toMatchObject({ applied: 'reject', sampledOut: false });
    // p=none and passing messages have nothing to sample.
    expect(samplePolicy(failing('none', 0), at(50))).toMatchObject({ applied: 'none' });
    expect(samplePolicy(failing('none', 0), at(50)).sampledOut).toBeUndefined();
    expect(samplePolicy({ ...verdicts('pass'), pct: 0 }, at(50)).sampledOut).toBeUndefined();
  });

  it('a sampled-out reject is junked, a sampled-out quarantine stored as usual', () => {
    const sampledOut = (policy: string) => samplePolicy(failing(policy, 0), () => 0);
    expect(dmarcAction(sampledOut('reject'), 'reject')).toBe('junk');
    expect(dmarcAction(sampledOut('quarantine'), 'reject')).toBe('accept');
  });

  it('over many messages a seeded sampler applies the policy to about pct percent', () => {
    // A small linear congruential generator: the same sequence on every run.
    let seed = 42;
    const seeded = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return (seed / 2 ** 31) * 100;
    };
    const applied = Array.from({ length: 2_000 }, () => samplePolicy(failing('reject', 25), seeded)).filter((v) => !v.sampledOut);
    expect(applied.length).toBeGreaterThan(400);
    expect(applied.length).toBeLessThan(600);
  });

  it('says in the DMARC comment of Authentication-Results that the policy was sampled out', () => {
    const header = 'mx.kura.test;\r\n spf=fail smtp.mailfrom=a.example;\r\n dmarc=fail (p=REJECT arc=none) header.from=a.example';
    const out = applyPct(failing('reject', 0), header, () => 0);
    expect(out.header).toBe(
      'mx.kura.test;\r\n spf=fail smtp.mailfrom=a.example;\r\n dmarc=fail (p=REJECT arc=none; sampled out by pct=0, quarantine applied) header.from=a.example',
    );
    // Inside the sample, the header is mailauth's as it was.
    expect(applyPct(failing('reject', 100), header, () => 0).header).toBe(header);
  });
});

describe('rspamd verdicts', () => {
  const limits = { enabled: true, junkScore: 6, rejectScore: 15 as number | null, maxBytes: 10 * 1024 * 1024 };
  const report = (score: number, action = 'no action') => ({ score, requiredScore: 15, action, symbols: {} });
  it('Kura thresholds decide; rspamd spam actions mean junk', () => {
    expect(judge(report(1), limits).verdict).toBe('clean');
    expect(judge(report(6), limits).verdict).toBe('junk');
    expect(judge(report(2, 'add header'), limits).verdict).toBe('junk');
    expect(judge(report(15, 'reject'), limits).verdict).toBe('reject');
    expect(judge(report(15, 'reject'), { ...limits, rejectScore: null }).verdict).toBe('junk');
  });

  it('parses /checkv2 answers and refuses nonsense', () => {
    expect(parseReport({ score: 2.5, required_score: 15, action: 'no action', symbols: { A: { score: 2.5 } } })).toEqual({
      score: 2.5,
      requiredScore: 15,
      action: 'no action',
      symbols: { A: 2.5 },
    });
    expect(parseReport({ error: 'bad' })).toBeUndefined();
    expect(parseReport(null)).toBeUndefined();
  });
});

describe('blocklist names', () => {
  it('reverses IPv4 by octet and IPv6 by nibble (RFC 5782)', () => {
    expect(reversed('192.0.2.99')).toBe('99.2.0.192');
    expect(reversed('::ffff:127.0.0.2')).toBe('2.0.0.127');
    expect(reversed('2001:db8::1')).toBe(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2`);
  });
});
