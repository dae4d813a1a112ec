import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusText } from '../src/i18n/index.js';
import { GuardState, type Transition } from '../src/state.js';
import { renderStatusPage } from '../src/status-page.js';

function stateWithSmtp(file?: string) {
  const state = new GuardState(file);
  state.define('smtp', 'Incoming mail (SMTP)', 'new mail is not accepted');
  state.define('haraka-1', 'Haraka instance 1', 'senders retry elsewhere', true);
  const transitions: Transition[] = [];
  state.onTransition((t) => transitions.push(t));
  return { state, transitions };
}

const ok = { ok: true, detail: 'EHLO 250' };
const fail = { ok: false, detail: 'connect ECONNREFUSED' };

describe('incident bookkeeping', () => {
  it('opens an incident only after two failed checks in a row and closes it after two good ones', () => {
    const { state, transitions } = stateWithSmtp();
    state.record('smtp', ok);
    state.record('smtp', fail);
    expect(state.components.get('smtp')?.status).toBe('up');
    expect(state.components.get('smtp')?.detail).toMatch(/^re-checking/);
    state.record('smtp', fail);
    expect(state.components.get('smtp')?.status).toBe('down');
    expect(state.overall()).toBe('down');
    state.record('smtp', ok);
    expect(state.components.get('smtp')?.status).toBe('down');
    state.record('smtp', ok);
    expect(state.components.get('smtp')?.status).toBe('up');
    expect(transitions.map((t) => t.kind)).toEqual(['opened', 'resolved']);
    expect(state.incidents[0]?.resolvedAt).toBeGreaterThanOrEqual(state.incidents[0]?.startedAt ?? 0);
  });

  it('an internal instance down makes the whole degraded, not down', () => {
    const { state } = stateWithSmtp();
    state.record('smtp', ok);
    state.record('haraka-1', ok);
    state.record('haraka-1', fail);
    state.record('haraka-1', fail);
    expect(state.overall()).toBe('degraded');
  });

  it('keeps the history across a restart, closing what was open', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kura-guard-state-')), 'incidents.jsonl');
    const first = stateWithSmtp(file).state;
    first.record('smtp', ok);
    first.record('smtp', fail);
    first.record('smtp', fail);
    const second = stateWithSmtp(file).state;
    expect(second.incidents).toHaveLength(1);
    expect(second.incidents[0]?.resolvedAt).toBeDefined();
    second.record('smtp', fail);
    second.record('smtp', fail);
    expect(second.incidents[0]?.id).toBe(2);
  });
});

describe('status page', () => {
  it('is self-contained HTML that names what is down, escapes details and updates itself', () => {
    const { state } = stateWithSmtp();
    state.record('smtp', { ok: false, detail: '<script>alert(1)</script>' });
    state.record('smtp', { ok: false, detail: '<script>alert(1)</script>' });
    const html = renderStatusPage(state, 'mail.example.edu', 3_000, statusText(undefined, 'en'));
    expect(html).toContain('name="viewport"');
    expect(html).toContain('Incoming mail (SMTP): new mail is not accepted');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('setInterval(refresh,3000)');
    // a hung request is given up after three periods and never overlaps the next one
    expect(html).toContain('AbortSignal.timeout(9000)');
    expect(html).toContain('if(busy)return');
  });

  it('follows Accept-Language: Japanese for ja, English otherwise, and ?lang= overrides', () => {
    const { state } = stateWithSmtp();
    state.record('smtp', { ok: false, detail: 'connection refused' });
    state.record('smtp', { ok: false, detail: 'connection refused' });
    const ja = renderStatusPage(state, 'mail.example.ac.jp', 3_000, statusText(undefined, 'ja-JP,ja;q=0.9,en;q=0.5'));
    expect(ja).toContain('<html lang="ja">');
    expect(ja).toContain('メールの受信 (SMTP): 新しいメールを受け付けられません');
    expect(ja).toContain('サービス障害');
    expect(ja).not.toContain('Incoming mail (SMTP)');
    expect(statusText(undefined, 'fr-FR,en;q=0.8').lang).toBe('en');
    expect(statusText(undefined, undefined).lang).toBe('en');
    expect(statusText('ja', 'en-US').lang).toBe('ja');
    expect(statusText('xx', 'ja').lang).toBe('ja');
  });
});
