import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { waitUntil } from '@kura/cli';
import { pingDatabase } from '@kura/store';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, tempDataDir } from '../support/stack.js';

/**
 * The local data tier must apply concurrent updates of one document one after
 * another, as MongoDB does: WildDuck allocates IMAP UIDs with
 * findOneAndUpdate($inc) and counts quota with $inc.
 */
describe.skipIf(!process.env.KURA_FERRETDB_BIN)('local data tier under concurrent updates', () => {
  let dir: string;
  let uri: string;
  let child: ReturnType<typeof spawn>;
  let client: MongoClient;

  beforeAll(async () => {
    dir = tempDataDir('datatier');
    const [port] = await freePorts(1);
    uri = `mongodb://127.0.0.1:${port}/concurrency`;
    child = spawn(process.env.KURA_FERRETDB_BIN as string, ['--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--log-level', 'error'], {
      stdio: 'ignore',
    });
    await waitUntil(() => pingDatabase(uri), 30_000);
    client = await MongoClient.connect(uri, { maxPoolSize: 60 });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    if (child?.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses no $inc when 60 clients update one document at once', async () => {
    const counters = client.db().collection<{ _id: string; n: number }>('counters');
    await counters.insertOne({ _id: 'inc', n: 0 });
    await Promise.all(Array.from({ length: 60 }, () => counters.updateOne({ _id: 'inc' }, { $inc: { n: 1 } })));
    expect((await counters.findOne({ _id: 'inc' }))?.n).toBe(60);
  });

  it('hands out 60 distinct values from 60 concurrent findOneAndUpdate($inc) (how UIDs are allocated)', async () => {
    const counters = client.db().collection<{ _id: string; uidNext: number }>('counters');
    await counters.insertOne({ _id: 'uid', uidNext: 1 });
    const results = await Promise.all(
      Array.from({ length: 60 }, () => counters.findOneAndUpdate({ _id: 'uid' }, { $inc: { uidNext: 1 } }, { returnDocument: 'before' })),
    );
    const uids = results.map((r) => r.value?.uidNext);
    expect(new Set(uids).size).toBe(60);
    expect((await counters.findOne({ _id: 'uid' }))?.uidNext).toBe(61);
  });
});
