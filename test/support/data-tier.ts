import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { waitUntil } from '@kura/cli';
import { pingDatabase } from '@kura/store';
import { MongoClient } from 'mongodb';
import { freePorts, tempDataDir } from './stack.js';

export interface DataTier {
  uri: string;
  client: MongoClient;
  /** Freezes the data tier (SIGSTOP): connections stay open and nothing answers, as in a stalled storage server. */
  pause(): void;
  /** Lets a paused data tier go on (SIGCONT). */
  resume(): void;
  stop(): Promise<void>;
}

/** Starts the local data tier (Kura's FerretDB launcher) alone, in its own data dir on a free port. */
export async function startDataTier(label: string, database: string): Promise<DataTier> {
  const dir = tempDataDir(label);
  const [port] = await freePorts(1);
  const uri = `mongodb://127.0.0.1:${port}/${database}`;
  const child = spawn(
    process.env.KURA_FERRETDB_BIN as string,
    ['--listen', `127.0.0.1:${port}`, '--data-dir', dir, '--log-level', 'error'],
    {
      stdio: 'ignore',
    },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT'); // a paused process would not act on SIGTERM
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(() => pingDatabase(uri), 30_000);
    const client = await MongoClient.connect(uri, { maxPoolSize: 20 });
    return {
      uri,
      client,
      pause: () => child.kill('SIGSTOP'),
      resume: () => child.kill('SIGCONT'),
      stop: async () => {
        await client.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
