import { openStore, appendMessage, findUserId, listMailboxes } from '@kura/store';
const store = await openStore({ mongodbUri: 'mongodb://127.0.0.1:31205/kura-dev', redisUrl: 'redis://127.0.0.1:31206/3' });
const user = await findUserId(store, process.argv[2]);
const inbox = (await listMailboxes(store, user)).find((m) => m.path === 'INBOX');
const N = Number(process.argv[3]); const C = Number(process.argv[4]);
let next = 0; const t0 = Date.now();
await Promise.all(Array.from({ length: C }, async () => {
  while (next < N) { const i = next++;
    const raw = Buffer.from(`From: a@example.org\r\nSubject: bulk ${i}\r\nMessage-ID: <b${i}@x>\r\n\r\nmessage ${i}\r\n${'filler line\r\n'.repeat(20)}`);
    await appendMessage(store, { user, mailbox: inbox._id, raw, flags: [], meta: { source: 'TEST' } });
  }
}));
console.log(N, 'in', (Date.now() - t0) / 1000, 's');
await store.close();
