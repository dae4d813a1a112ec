import fs from 'node:fs';
import path from 'node:path';
import { appendMessage, listMailboxes, openStore } from '@kura/store';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { Pop3Client } from '../support/pop3-client.js';
import { newUser, useTestStack } from '../support/stack.js';

// The launcher's slow-command log (tools/ferretdb/slowlog.go) with a threshold of 0 lists every command the data
// tier answers, with the field names of its filter and projection: this file's stack only.
process.env.KURA_FERRETDB_SLOW_MS = '0';
const stack = useTestStack('pop3-retr-reads');

interface CommandLine {
  command?: string;
  collection?: string;
  filter?: string[] | null;
  projection?: string[] | null;
}

function loggedCommands(logs: string): CommandLine[] {
  return fs
    .readFileSync(path.join(logs, 'ferretdb.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"slow command"'))
    .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as CommandLine);
}

describe('POP3 RETR on the data tier', () => {
  it('reads the MIME tree and size of the message, not its whole document (WildDuck patch 015)', async () => {
    const { config } = stack();
    const user = await newUser(config, 'retr-reads');
    // HTML and text beside the MIME tree: the parts of the document RETR does not need
    const html = `<p>${'Lecture notes for the seminar. '.repeat(800)}</p>`;
    const raw = Buffer.from(
      [
        'From: Registry <registry@example.org>',
        `To: <${user.address}>`,
        'Subject: seminar notes',
        'Message-ID: <retr-reads-1@example.org>',
        'MIME-Version: 1.0',
        'Content-Type: text/html; charset=utf-8',
        '',
        html,
        '',
      ].join('\r\n'),
    );
    const store = await openStore({ mongodbUri: config.mongodbUri, redisUrl: config.redisUrl });
    try {
      const userId = new ObjectId(user.id);
      const inbox = (await listMailboxes(store, userId)).find((m) => m.path === 'INBOX');
      if (!inbox) throw new Error('the new user has no INBOX');
      await appendMessage(store, { user: userId, mailbox: inbox._id, raw, flags: [], meta: { source: 'TEST' } });
    } finally {
      await store.close();
    }

    const { client } = await Pop3Client.connect(config.ports.pop3);
    try {
      await client.login(user.username, user.password);
      const { status, body } = await client.multiline('RETR 1');
      expect(status).toMatch(/^\+OK/);
      expect(body.equals(raw)).toBe(true);
      expect(await client.command('QUIT')).toMatch(/^\+OK/);
    } finally {
      client.destroy();
    }

    const retrReads = loggedCommands(config.paths.logs).filter(
      (c) => c.command === 'find' && c.collection === 'messages' && c.filter?.join() === '_id,mailbox,uid',
    );
    expect(retrReads.length, JSON.stringify(loggedCommands(config.paths.logs).slice(-20))).toBeGreaterThan(0);
    for (const read of retrReads) expect(read.projection).toEqual(['mimeTree', 'size']);
  });
});
