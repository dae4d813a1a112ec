import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentHash, toWireForm } from '../src/content.js';
import { maildirBaseName, maildirFlags, mboxFlags, normalizeFlags, parseDovecotKeywords } from '../src/flags.js';
import { decodeFolderName, mailboxPath, specialUseOf } from '../src/folders.js';
import { readMapping } from '../src/mapping.js';
import { isFromLine, parseFromLineDate, readMbox, unquoteLine } from '../src/mbox.js';
import { openSource } from '../src/source.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kura-migrate-'));

describe('Maildir flags', () => {
  it('maps the :2, letters and Dovecot keyword letters', () => {
    const keywords = parseDovecotKeywords('0 $Label1\n1 Junk\n3 $Important\nbroken line\n');
    expect(maildirFlags('1700000000.M1P2.host,S=120:2,FRS', keywords)).toEqual({
      flags: ['\\Flagged', '\\Answered', '\\Seen'],
      unknown: [],
    });
    expect(maildirFlags('1700000000.M1P2.host:2,DPTab', keywords).flags).toEqual(['\\Draft', '$Forwarded', '\\Deleted', '$Label1', 'Junk']);
    expect(maildirFlags('1700000000.M1P2.host:2,Sc', keywords)).toEqual({ flags: ['\\Seen'], unknown: ['c'] });
    expect(maildirFlags('1700000000.M1P2.host!2,S').flags).toEqual(['\\Seen']);
    expect(maildirFlags('1700000000.M1P2.host').flags).toEqual([]);
    expect(maildirBaseName('1700000000.M1P2.host,S=120:2,FRS')).toBe('1700000000.M1P2.host,S=120');
  });

  it('keeps keywords that are IMAP atoms only and orders flags stably without \\Recent', () => {
    expect([...parseDovecotKeywords('0 ok\n1 has"quote\n2 \\Seen\n').values()]).toEqual(['ok']);
    expect(normalizeFlags(['\\Seen', '\\Recent', '$A', '\\Seen'])).toEqual(['$A', '\\Seen']);
  });
});

describe('mbox', () => {
  it('reads From_ dates in asctime form, with or without a zone', () => {
    expect(parseFromLineDate('From alice@example.org Thu Nov 26 10:00:00 2026')?.toISOString()).toBe('2026-11-26T10:00:00.000Z');
    expect(parseFromLineDate('From alice@example.org Thu Nov  5 10:00:00 2026 +0100')?.toISOString()).toBe('2026-11-05T09:00:00.000Z');
    expect(parseFromLineDate('From MAILER-DAEMON Mon Jan  2 03:04:05 -0500 2006')?.toISOString()).toBe('2006-01-02T08:04:05.000Z');
    expect(parseFromLineDate('From here to eternity')).toBeUndefined();
    expect(isFromLine(Buffer.from('From bob Tue Feb  3 01:02:03 2004\n'))).toBe(true);
    expect(isFromLine(Buffer.from('From the desk of Bob\n'))).toBe(false);
  });

  it('undoes mboxrd and mboxo quoting', () => {
    const line = (s: string) => Buffer.from(s);
    expect(unquoteLine(line('>From me\n'), 'mboxrd').toString()).toBe('From me\n');
    expect(unquoteLine(line('>>From me\n'), 'mboxrd').toString()).toBe('>From me\n');
    expect(unquoteLine(line('>>From me\n'), 'mboxo').toString()).toBe('>>From me\n');
    expect(unquoteLine(line('>From me\n'), 'mboxo').toString()).toBe('From me\n');
    expect(unquoteLine(line('> From me\n'), 'mboxrd').toString()).toBe('> From me\n');
  });

  it('splits messages, keeps a missing final newline, reads Status/X-Status/X-Keywords', async () => {
    const file = path.join(tmp(), 'inbox');
    fs.writeFileSync(
      file,
      [
        'From a@example.org Thu Nov 26 10:00:00 2026',
        'Subject: one',
        'Status: RO',
        'X-Status: AF',
        'X-Keywords: $Work, Later',
        '',
        'body',
        '>From quoted',
        'From inside a paragraph is not a separator',
        '',
        'From b@example.org Fri Nov 27 11:00:00 2026',
        'Subject: two',
        '',
        'no final newline',
      ].join('\n'),
    );
    const messages = [];
    for await (const m of readMbox(file)) messages.push(m);
    expect(messages).toHaveLength(2);
    expect(messages[0]?.raw.toString()).toBe(
      'Subject: one\nStatus: RO\nX-Status: AF\nX-Keywords: $Work, Later\n\nbody\nFrom quoted\nFrom inside a paragraph is not a separator\n',
    );
    expect(messages[0]?.flags).toEqual(['\\Seen', '\\Answered', '\\Flagged', '$Work', 'Later']);
    expect(messages[0]?.date?.toISOString()).toBe('2026-11-26T10:00:00.000Z');
    expect(messages[1]?.raw.toString()).toBe('Subject: two\n\nno final newline');
    // Reading a message again by its byte range gives the same bytes.
    const [folder] = await openSource(file);
    const refs = (await folder?.list()) ?? [];
    expect(await Promise.all(refs.map((r) => r.read()))).toEqual(messages.map((m) => m.raw));
    expect(mboxFlags({ status: 'O' })).toEqual([]);
  });

  it('refuses a file that is not mbox with a clear message', async () => {
    const file = path.join(tmp(), 'notes.txt');
    fs.writeFileSync(file, 'just some text\n');
    await expect(async () => {
      for await (const _ of readMbox(file)) void _;
    }).rejects.toThrow(/does not start with a "From " line/);
  });
});

describe('content and folders', () => {
  it('converts bare LF to CRLF and nothing else', () => {
    expect(toWireForm(Buffer.from('a\nb\r\nc')).toString()).toBe('a\r\nb\r\nc');
    const crlf = Buffer.from('a\r\nb\r\n');
    expect(toWireForm(crlf)).toBe(crlf);
    expect(contentHash(toWireForm(Buffer.from('x\n')))).toBe(contentHash(Buffer.from('x\r\n')));
  });

  it('maps folder names: modified UTF-7, INBOX namespace, special use', () => {
    expect(decodeFolderName('Entw&APw-rfe')).toBe('Entwürfe');
    expect(decodeFolderName('Gr&APwA3w-e')).toBe('Grüße');
    expect(specialUseOf('Entwürfe')).toBe('\\Drafts');
    expect(mailboxPath([])).toBe('INBOX');
    expect(mailboxPath(['inbox', 'Lists'])).toBe('INBOX/Lists');
    expect(mailboxPath(['Archive', '2024'])).toBe('Archive/2024');
    expect(specialUseOf('Sent Items')).toBe('\\Sent');
    expect(specialUseOf('Spam')).toBe('\\Junk');
    expect(specialUseOf('Archive/2024')).toBeUndefined();
  });

  it('finds Maildir++ and fs-layout folders and orders messages by dovecot-uidlist', async () => {
    const root = tmp();
    for (const dir of ['cur', 'new', 'tmp', '.Sent/cur', '.Lists.kura/cur', 'Deep/Er/cur'])
      fs.mkdirSync(path.join(root, dir), { recursive: true });
    fs.writeFileSync(path.join(root, 'cur', '1700000002.M2.h:2,S'), 'Subject: b\n\nb\n');
    fs.writeFileSync(path.join(root, 'cur', '1700000001.M1.h:2,'), 'Subject: a\n\na\n');
    fs.writeFileSync(path.join(root, 'new', '1700000003.M3.h'), 'Subject: c\n\nc\n');
    fs.writeFileSync(path.join(root, 'dovecot-uidlist'), '3 V1 N4\n1 :1700000002.M2.h\n2 :1700000001.M1.h\n');
    fs.writeFileSync(path.join(root, 'tmp', 'partial'), 'ignored');
    const folders = await openSource(root);
    expect(folders.map((f) => f.path)).toEqual(['INBOX', 'Deep/Er', 'Lists/kura', 'Sent']);
    const inbox = (await folders.find((f) => f.path === 'INBOX')?.list()) ?? [];
    expect(inbox.map((r) => r.id)).toEqual(['cur/1700000002.M2.h:2,S', 'cur/1700000001.M1.h:2,', 'new/1700000003.M3.h']);
    expect(inbox[0]?.flags).toEqual(['\\Seen']);
  });
});

describe('mapping', () => {
  it('reads CSV with a header, a template, and JSON objects', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'users.csv'), 'login,user\n# comment\nalice,alice.k\nbob,\n');
    expect(readMapping(path.join(dir, 'users.csv'), '/var/vmail/{login}/Maildir')).toEqual([
      { login: 'alice', user: 'alice.k', source: '/var/vmail/alice/Maildir' },
      { login: 'bob', user: 'bob', source: '/var/vmail/bob/Maildir' },
    ]);
    fs.writeFileSync(path.join(dir, 'users.json'), JSON.stringify({ carol: 'carol@example.edu' }));
    expect(readMapping(path.join(dir, 'users.json'), 'mail/{login}')[0]?.source).toBe(path.join(dir, 'mail/carol'));
    expect(() => readMapping(path.join(dir, 'users.csv'))).toThrow(/--source-template/);
  });
});
