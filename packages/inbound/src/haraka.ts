/** The parts of Haraka's plugin API that Kura's inbound plugin uses. */

export interface HarakaAddress {
  /** Bare user@host ('' for the null sender). */
  readonly address: string;
  isNull(): boolean;
}

export interface HarakaResults {
  add(plugin: unknown, result: Record<string, unknown>): void;
}

export interface HarakaMessageStream {
  get_data(options: Record<string, unknown>, cb: (data: Buffer) => void): void;
}

export interface HarakaTransaction {
  uuid: string;
  mail_from: HarakaAddress;
  rcpt_to: HarakaAddress[];
  message_stream: HarakaMessageStream;
  data_bytes: number;
  results: HarakaResults;
  notes: Record<string, unknown>;
  header: { get(name: string): string; get_all(name: string): string[]; header_list: string[] };
  add_header(name: string, value: string): void;
  add_leading_header(name: string, value: string): void;
}

export interface HarakaConnection {
  uuid: string;
  remote: { ip: string };
  transaction: HarakaTransaction | null;
  loginfo(plugin: unknown, message: string): void;
  logwarn(plugin: unknown, message: string): void;
  logerror(plugin: unknown, message: string): void;
}

export type Next = (code?: number, message?: unknown) => void;

export interface HarakaPlugin {
  register_hook(hook: string, method: string): void;
  /** Seconds Haraka waits for a hook registered next (it reads this at register_hook). */
  timeout: number;
  loginfo(message: string): void;
  logwarn(message: string): void;
  logerror(message: string): void;
}
