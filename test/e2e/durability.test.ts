import { beforeAll, describe, expect, it } from 'vitest';
import { plainMessage } from '../support/messages.js';
import { sendMail } from '../support/smtp-client.js';
import { newUser, type TestStack, type TestUser, useTestStack, withImap } from '../support/stack.js';

const MESSAGES = 500;
const SENDERS = 4;

/** Subjects of every INBOX message (one FETCH), to count copies. */
async function inboxSubjects(t: TestStack, user: TestUser): Promise<string[]> {
  return (await inboxIndex(t, user)).map((m) => m.subject);
}

/** UID and subject of every INBOX message, in one FETCH. */
async function inboxIndex(t: TestStack, user: TestUser): Promise<Array<{ uid: number; subject: string }>> {
  return withImap(
    t.config,
    async (client) => {
      const box = await client.mailboxOpen('INBOX');
      if (box.exists === 0) return [];
      const index: Array<{ uid: number; subject: string }> = [];
      for await (const msg of client.fetch('1:*', { envelope: true, uid: true }))
        index.push({ uid: msg.uid, subject: msg.envelope?.subject ?? '' });
      return index;
    },
    user,
  );
}

/** Each test delivers to its own account, so a rerun or another test's mail cannot change a count. */
describe('durable delivery', () => {
  const stack = useTestStack('durable');
  let t: TestStack;

  beforeAll(() => {
    t = stack();
  });

  it('a retried message (same Message-ID, same envelope) is stored once', async () => {
    const user = await newUser(t.config, 'retried');
    const to = user.address;
    const message = plainMessage(to, 'retried once');
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await sendMail(t.config.ports.smtp, { from: 'sender@example.org', to: [to] }, message);
      expect(result.data?.code).toBe(250);
    }
    expect(await inboxSubjects(t, user)).toEqual(['retried once']);
  });

  it(`loses and duplicates nothing when the data tier is killed (-9) during ${MESSAGES} deliveries`, async () => {
    const user = await newUser(t.config, 'stream');
    const to = user.address;
    const pending = Array.from({ length: MESSAGES }, (_, i) => ({ subject: `stream ${i}`, message: plainMessage(to, `stream ${i}`) }));
    const acknowledged = new Set<string>();
    const replies = { ok: 0, tempFailed: 0, permanent: [] as string[] };
    const deadline = Date.now() + 200_000;
    let killed = false;

    // Each sender behaves like a well-behaved MTA: 250 → done, 4xx → retry later, 5xx → bounce (a failure here).
    const sender = async () => {
      while (pending.length > 0 && Date.now() < deadline) {
        const item = pending.shift();
        if (!item) break;
        let code: number | undefined;
        try {
          const result = await sendMail(t.config.ports.smtp, { from: 'stream@example.org', to: [to] }, item.message);
          code = result.data?.code ?? result.rcpts[0]?.code;
        } catch {
          code = undefined; // connection dropped: unknown outcome, retry
        }
        if (code === 250) {
          acknowledged.add(item.subject);
          replies.ok++;
        } else if (code !== undefined && code >= 500) {
          replies.permanent.push(`${item.subject}: ${code}`);
        } else {
          replies.tempFailed++;
          pending.push(item);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };

    const killer = (async () => {
      while (acknowledged.size < MESSAGES / 5) await new Promise((r) => setTimeout(r, 50));
      await t.stack.supervisor.restartService('ferretdb', 'SIGKILL');
      killed = true;
    })();

    await Promise.all([...Array.from({ length: SENDERS }, sender), killer]);

    expect(killed).toBe(true);
    expect(replies.permanent).toEqual([]);
    expect(acknowledged.size).toBe(MESSAGES);

    const subjects = await inboxSubjects(t, user);
    const copies = new Map<string, number>();
    for (const s of subjects) copies.set(s, (copies.get(s) ?? 0) + 1);
    const duplicated = [...copies].filter(([, n]) => n > 1).map(([s]) => s);
    const lost = [...acknowledged].filter((s) => !copies.has(s));
    expect({ lost, duplicated }).toEqual({ lost: [], duplicated: [] });
    expect(subjects).toHaveLength(MESSAGES);
    // Concurrent deliveries into one mailbox must still get distinct IMAP UIDs.
    const uids = (await inboxIndex(t, user)).map((m) => m.uid);
    expect(new Set(uids).size).toBe(uids.length);
  }, 300_000);
});
