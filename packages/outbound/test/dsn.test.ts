import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildDsn, statusCode } from '../src/dsn.js';

const original = Buffer.from(
  'From: <alice@campus.test>\r\nTo: <bob@r.test>, <carol@r.test>\r\nSubject: Minutes\r\nMessage-ID: <m1@campus.test>\r\n\r\nThe body is not returned.\r\n',
);

describe('delivery status notification (RFC 3464)', () => {
  const raw = buildDsn(
    {
      hostname: 'mx.campus.test',
      sender: 'alice@campus.test',
      arrival: new Date('2026-04-01T09:00:00Z'),
      original,
      failures: [
        { address: 'bob@r.test', code: 550, message: '550 5.1.1 <bob@r.test>: no such user', remoteHost: 'mx.r.test' },
        { address: 'carol@r.test', code: 451, message: 'gave up after retrying until 2026-04-06T09:00:00.000Z: 451 4.4.1 busy' },
      ],
    },
    new Date('2026-04-06T09:00:01Z'),
  );

  it('is a multipart/report with a readable part, the delivery status and the original headers only', async () => {
    const parsed = await simpleParser(raw);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/report', params: { 'report-type': 'delivery-status' } });
    expect(parsed.to).toMatchObject({ text: 'alice@campus.test' });
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.inReplyTo).toBe('<m1@campus.test>');
    expect(parsed.text).toContain('<bob@r.test>: 550 5.1.1');
    expect(parsed.text).toContain('配送できませんでした');
    const text = raw.toString('utf8');
    expect(text).toContain(
      'Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.campus.test\r\nArrival-Date: Wed, 01 Apr 2026 09:00:00 GMT\r\n\r\n',
    );
    expect(text).toContain(
      'Final-Recipient: rfc822; bob@r.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.r.test\r\nDiagnostic-Code: smtp; 550 5.1.1 <bob@r.test>: no such user\r\n',
    );
    expect(text).toContain('Final-Recipient: rfc822; carol@r.test\r\nAction: failed\r\nStatus: 4.4.7\r\n');
    expect(text).toContain('Content-Type: text/rfc822-headers\r\n\r\nFrom: <alice@campus.test>');
    expect(text).not.toContain('The body is not returned.');
  });

  it('derives a status code for replies without an enhanced one and for suppressed addresses', () => {
    expect(statusCode({ address: 'a@b.c', code: 554, message: '554 go away' })).toBe('5.0.0');
    expect(statusCode({ address: 'a@b.c', code: 0, message: 'suppressed: 550 5.1.1 unknown (until …)' })).toBe('5.1.1');
    expect(statusCode({ address: 'a@b.c', code: 0, message: 'suppressed: no reason' })).toBe('5.7.1');
  });
});
