/** One progress report; emitted after every chunk and at least once per collection. */
export interface Progress {
  phase: 'create' | 'verify' | 'restore';
  collection: string;
  /** Uncompressed BSON bytes processed so far, and the expected total (0 when unknown). */
  bytes: number;
  totalBytes: number;
  documents: number;
  messages: number;
  totalMessages: number;
  startedAt: number;
}

export type ProgressListener = (progress: Progress) => void;

/** A fresh report for reading a snapshot whose totals the manifest knows (verify, restore). */
export function progressFor(phase: 'verify' | 'restore', totals: { bytes: number; messages: number }, startedAt = Date.now()): Progress {
  return {
    phase,
    collection: '',
    bytes: 0,
    totalBytes: totals.bytes,
    documents: 0,
    messages: 0,
    totalMessages: totals.messages,
    startedAt,
  };
}
