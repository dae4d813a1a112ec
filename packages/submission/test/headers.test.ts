import { loadConfig } from '@kura/config';
import { describe, expect, it } from 'vitest';
import { type Submission, withTraceFields } from '../src/accept.js';
import { headerFields, mailboxes } from '../src/senders.js';

const submission = (raw: string, overrides: Record<string, unknown> = {}): Submission => ({
  userId: '0123456789abcdef01234567',
  username: 'alice',
  envelopeFrom: 'alice@campus.example',
  local: new Map(),
  remote: [],
  raw: Buffer.from(raw),
  queueId: 'abc123.1',
  clientIp: '198.51.100.7',
  tlsProtocol: 'TLSv1.3',
  ...overrides,
});

describe('header From parsing', () => {
  it('unfolds fields and reads every mailbox, groups included', () => {
    const fields = headerFields(
      Buffer.from('From: "Alice, A." <Alice@Campus.example>,\r\n\tbob@campus.example\r\nSubject: x\r\n\r\nFrom: body@not.header\r\n'),
    );
    expect(fields.map((f) => f.name)).toEqual(['from', 'subject']);
    expect(mailboxes(fields[0]?.value ?? '')).toEqual(['alice@campus.example', 'bob@campus.example']);
    expect(mailboxes('Team: carol@campus.example, dave@campus.example;')).toEqual(['carol@campus.example', 'dave@campus.example']);
  });
});

describe('trace fields of a submission', () => {
  const config = loadConfig({ cwd: '/nonexistent', env: {}, overrides: { hostname: 'mail.campus.example' } });

  it('adds a Received line without the client address, and Date and Message-ID only when missing', () => {
    const out = withTraceFields(config, submission('From: alice@campus.example\r\n\r\nhi\r\n')).toString();
    expect(out).toMatch(
      /^Received: by mail\.campus\.example \(Kura submission\) with ESMTPSA \(TLSv1\.3\) id abc123\.1;\r\n\t\w{3}, \d\d \w{3} \d{4} [\d:]{8} \+0000\r\n/,
    );
    expect(out).not.toContain('198.51.100.7');
    expect(out).toMatch(/^Date: /m);
    expect(out).toContain('Message-ID: <abc123.1@mail.campus.example>\r\nFrom: alice@campus.example\r\n\r\nhi\r\n');
    const complete = 'Date: Sun, 29 Nov 2026 10:00:00 +0900\r\nMessage-ID: <x@y>\r\nFrom: a@b\r\n\r\n.';
    expect(
      withTraceFields(config, submission(complete))
        .toString()
        .split('\r\n')
        .filter((l) => /^(Date|Message-ID):/.test(l)),
    ).toHaveLength(2);
  });

  it('names the client address when submission.revealClientIp is set', () => {
    const revealing = { ...config, submission: { ...config.submission, revealClientIp: true } };
    expect(withTraceFields(revealing, submission('From: a@b\r\n\r\n.')).toString()).toMatch(/^Received: from \[198\.51\.100\.7\] by /);
  });
});
