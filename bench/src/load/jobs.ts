import type { BenchUser } from '../stacks/target.ts';

/** What a load-generator process is asked to do (sent as JSON on its command line). */
export type LoadJob = InboundJob | FloodJob | LoginJob | ReadJob | IdleJob | Pop3Job;

export interface Endpoint {
  host: string;
  smtp: number;
  imap: number;
  pop3: number;
}

export interface InboundJob {
  kind: 'inbound';
  endpoint: Endpoint;
  user: BenchUser;
  sizes: number[];
  senders: number;
  seed: number;
  /** Give up waiting for messages to become visible after this long, */
  timeoutMs: number;
  /** or once nothing new became visible for this long. */
  stallMs: number;
}

export interface FloodJob {
  kind: 'flood';
  endpoint: Endpoint;
  user: BenchUser;
  floodBytes: number;
  smallCount: number;
  smallBytes: number;
  smallIntervalMs: number;
  seed: number;
  timeoutMs: number;
  stallMs: number;
}

export interface LoginJob {
  kind: 'login';
  endpoint: Endpoint;
  user: BenchUser;
  concurrency: number;
  durationMs: number;
}

export interface ReadJob {
  kind: 'read';
  endpoint: Endpoint;
  user: BenchUser;
  /** Messages are fetched in batches of this many; a scenario stops after its budget. */
  batch: number;
  budgetMs: number;
  headerNeedle: string;
  bodyNeedle: string;
}

export interface IdleJob {
  kind: 'idle';
  endpoint: Endpoint;
  users: BenchUser[];
  connections: number;
}

export interface Pop3Job {
  kind: 'pop3';
  endpoint: Endpoint;
  user: BenchUser;
  budgetMs: number;
}
