import cliProgress from 'cli-progress';

/** One progress report of a long operation (snapshot create/verify/restore, import, import verify). */
export interface Progress {
  phase: string;
  /** What is being worked on right now (a collection, "3/40 users"). */
  collection: string;
  bytes: number;
  /** Expected total bytes (0 when unknown). */
  totalBytes: number;
  messages: number;
  totalMessages: number;
  startedAt: number;
}

const MB = 1024 * 1024;

export interface Output {
  /** True when stdout is a terminal: bars and sentences; otherwise JSON lines. */
  tty: boolean;
  progress(p: Progress): void;
  /** A human line (terminal) or a JSON event (otherwise). */
  event(name: string, data: Record<string, unknown>, human?: string): void;
  stop(): void;
}

function rate(p: Progress): { mbPerSec: number; messagesPerSec: number; etaSeconds: number | null } {
  const seconds = Math.max((Date.now() - p.startedAt) / 1000, 0.001);
  const bytesPerSec = p.bytes / seconds;
  const remaining = p.totalBytes > p.bytes ? p.totalBytes - p.bytes : 0;
  return {
    mbPerSec: Math.round((bytesPerSec / MB) * 100) / 100,
    messagesPerSec: Math.round((p.messages / seconds) * 10) / 10,
    etaSeconds: p.totalBytes && bytesPerSec > 0 ? Math.round(remaining / bytesPerSec) : null,
  };
}

/**
 * Progress and results for the snapshot and import commands: cli-progress bars (bytes,
 * messages, rate, ETA) on a terminal, one JSON object per line otherwise
 * (progress at most once a second, then the result).
 */
export function createOutput(options: { json?: boolean; stream?: NodeJS.WriteStream } = {}): Output {
  const stream = options.stream ?? process.stdout;
  const tty = Boolean(stream.isTTY) && !options.json;
  let bar: cliProgress.SingleBar | undefined;
  let lastJson = 0;
  const write = (obj: Record<string, unknown>) => stream.write(`${JSON.stringify(obj)}\n`);

  return {
    tty,
    progress(p) {
      const r = rate(p);
      if (!tty) {
        if (Date.now() - lastJson < 1000) return;
        lastJson = Date.now();
        write({ event: 'progress', ...p, ...r, startedAt: new Date(p.startedAt).toISOString() });
        return;
      }
      const total = Math.max(p.totalBytes, p.bytes, 1);
      const payload = {
        phase: p.phase,
        collection: p.collection.padEnd(18).slice(0, 18),
        doneMB: (p.bytes / MB).toFixed(1),
        totalMB: p.totalBytes ? (p.totalBytes / MB).toFixed(1) : '?',
        messages: p.messages,
        totalMessages: p.totalMessages || '?',
        mbPerSec: r.mbPerSec.toFixed(1),
        messagesPerSec: r.messagesPerSec.toFixed(0),
      };
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format:
              '{phase} {collection} |{bar}| {percentage}% | {doneMB}/{totalMB} MB | {messages}/{totalMessages} msgs | {mbPerSec} MB/s {messagesPerSec} msg/s | ETA {eta_formatted}',
            hideCursor: true,
            etaBuffer: 50,
            stream,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, p.bytes, payload);
      } else {
        bar.setTotal(total);
        bar.update(p.bytes, payload);
      }
    },
    event(name, data, human) {
      if (tty) {
        bar?.stop();
        bar = undefined;
        if (human) stream.write(`${human}\n`);
      } else {
        write({ event: name, ...data });
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
