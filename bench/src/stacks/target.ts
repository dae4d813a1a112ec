/** A mailbox owner on a stack under test: how to address and log in as them. */
export interface BenchUser {
  /** Address that SMTP delivers to. */
  address: string;
  /** IMAP/POP3 login name. */
  login: string;
  password: string;
}

/** One message to put into a mailbox before a read scenario (not timed). */
export interface FillMessage {
  raw: Buffer;
}

/**
 * A mail stack the bench measures: Kura, or the Postfix + Dovecot reference.
 * Both answer SMTP, IMAP and POP3 on loopback; the bench only talks protocols
 * to them, except for filling mailboxes quickly before a read scenario.
 */
export interface BenchTarget {
  /** "kura" or "reference". */
  name: string;
  host: string;
  ports: { smtp: number; imap: number; pop3: number };
  /** Creates (or returns) a user with an empty INBOX. */
  user(name: string): Promise<BenchUser>;
  /** Puts messages straight into a user's INBOX, bypassing SMTP. */
  fill(user: BenchUser, messages: FillMessage[]): Promise<void>;
  /**
   * Adds copies of the messages in source's INBOX (in order, round robin) to user's INBOX until it holds
   * count messages: a large store built at the storage level (message documents, Maildir files), not
   * through delivery, so that it takes minutes instead of hours.
   */
  clone(user: BenchUser, count: number, source: BenchUser): Promise<void>;
  /**
   * Runs storage-level bulk loading (clone calls). Kura builds the local data tier's own read indexes once
   * afterwards, as an administrator loads data before indexing it, instead of writing their entries with every
   * copied document. Without it the work just runs.
   */
  bulkLoad?(work: () => Promise<void>): Promise<void>;
  /** Process ids of every server process of the stack, for memory figures. */
  serverPids(): number[];
  stop(): Promise<void>;
}
