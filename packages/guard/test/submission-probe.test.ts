import { describe, expect, it } from 'vitest';
import { ehloExtensions } from '../src/probes/submission.js';

describe('EHLO reply parsing (submission probe)', () => {
  it('lists the extensions with their parameters, skipping the greeting line', () => {
    const reply = [
      '250-mail.example.org Nice to meet you, [127.0.0.1]',
      '250-PIPELINING',
      '250-8BITMIME',
      '250-SIZE 26214400',
      '250 starttls',
    ].join('\n');
    const ext = ehloExtensions(reply);
    expect([...ext.keys()]).toEqual(['PIPELINING', '8BITMIME', 'SIZE', 'STARTTLS']);
    expect(ext.get('SIZE')).toEqual(['26214400']);
    expect(ext.has('AUTH')).toBe(false);
  });

  it('reads the AUTH mechanisms offered after STARTTLS', () => {
    const ext = ehloExtensions('250-mail.example.org greets kura-guard.invalid\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES');
    expect(ext.get('AUTH')).toEqual(['PLAIN', 'LOGIN']);
  });

  it('a one-line reply (no extensions) offers nothing, and no line is misread as one', () => {
    expect(ehloExtensions('250 mail.example.org').size).toBe(0);
    expect(ehloExtensions('250-mail.example.org\n550 AUTH broken').has('AUTH')).toBe(false);
  });
});
