/** How much work each scenario does: quick (regular use, ≤ 10 minutes) or full. */
export interface Mode {
  name: 'quick' | 'full' | 'smoke';
  runs: number;
  /** Messages per inbound run, by number of concurrent senders. */
  inbound: Record<number, number>;
  largeMaxBytes: number;
  flood: { floodBytes: number; smallCount: number; smallIntervalMs: number };
  loginMs: number;
  /** Messages in the mailbox read over IMAP (header/body FETCH, SEARCH). */
  mailbox: number;
  /** Distinct messages delivered one by one into each read mailbox; the rest are copies of them (storage-level). */
  distinct: number;
  /** Other users' mail, copied at the storage level, for "IMAP read in a full store": users and messages in all. */
  store: { users: number; messages: number };
  readBudgetMs: number;
  idleConnections: number;
  /** Messages in the POP3 maildrop. */
  maildrop: number;
  pop3BudgetMs: number;
  /** Upper bound for waiting on deliveries to become visible, per run. */
  visibleTimeoutMs: number;
  /** Stop waiting once nothing new became visible for this long (accepted mail that never shows up). */
  stallMs: number;
  profile: boolean;
}

export const MODES: Record<Mode['name'], Mode> = {
  quick: {
    name: 'quick',
    runs: 3,
    inbound: { 1: 12, 8: 24, 32: 48 },
    largeMaxBytes: 20 * 1024 * 1024,
    flood: { floodBytes: 20 * 1024 * 1024, smallCount: 10, smallIntervalMs: 150 },
    loginMs: 3_000,
    mailbox: 200,
    distinct: 200,
    store: { users: 5, messages: 2_000 },
    readBudgetMs: 10_000,
    idleConnections: 40,
    maildrop: 200,
    pop3BudgetMs: 10_000,
    visibleTimeoutMs: 60_000,
    stallMs: 8_000,
    profile: true,
  },
  full: {
    name: 'full',
    runs: 5,
    inbound: { 1: 50, 8: 200, 32: 400 },
    largeMaxBytes: 20 * 1024 * 1024,
    flood: { floodBytes: 20 * 1024 * 1024, smallCount: 100, smallIntervalMs: 100 },
    loginMs: 10_000,
    mailbox: 10_000,
    distinct: 1_000,
    // 50 users and 100,000 messages in all: the reader's 10,000 and 90,000 spread over 49 others
    store: { users: 49, messages: 90_000 },
    readBudgetMs: 300_000,
    idleConnections: 1_000,
    maildrop: 1_000,
    pop3BudgetMs: 300_000,
    visibleTimeoutMs: 300_000,
    stallMs: 30_000,
    profile: true,
  },
  /** For the test suite: proves the harness runs end to end, measures nothing worth reading. */
  smoke: {
    name: 'smoke',
    runs: 1,
    inbound: { 2: 3 },
    largeMaxBytes: 2 * 1024 * 1024,
    flood: { floodBytes: 1024 * 1024, smallCount: 2, smallIntervalMs: 50 },
    loginMs: 500,
    mailbox: 10,
    distinct: 10,
    store: { users: 1, messages: 10 },
    readBudgetMs: 5_000,
    idleConnections: 4,
    maildrop: 10,
    pop3BudgetMs: 5_000,
    visibleTimeoutMs: 20_000,
    stallMs: 5_000,
    profile: false,
  },
};
