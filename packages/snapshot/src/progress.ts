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
