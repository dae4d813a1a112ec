import { createRequire } from 'node:module';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';

/**
 * WildDuck's storage handlers, loaded from the pinned @zone-eu/wildduck package.
 * Messages are stored by WildDuck's own code so that IMAP and POP3 read them
 * exactly as if WildDuck had received them itself.
 */

export interface WildDuckMessageHandler {
  addAsync(options: Record<string, unknown>): Promise<{ status: string; data: AddedMessage }>;
  /** What addAsync derives from a message (id, dates, envelope, body structure…); given as `prepared`, it is not parsed again. */
  prepareMessageAsync(options: { mimeTree: unknown }): Promise<Record<string, unknown>>;
  counters: unknown;
  /** Rebuilds a stored message's bytes from its MIME tree (what IMAP FETCH BODY[] sends). */
  indexer: {
    rebuild(mimeTree: unknown, textOnly: boolean): { value: NodeJS.ReadableStream; expectedLength: number };
    parseMimeTree(rfc822: Buffer): unknown;
    /** Text, HTML and attachment nodes of a MIME tree (what addAsync stores); refers to the tree's own nodes. */
    getMaildata(mimeTree: unknown): unknown;
  };
  notifier: unknown;
  /** GridFS storage holds a Redis lock whose subscriber connection is its own. */
  attachmentStorage?: { storage?: { lock?: { _redisSubscriber?: Redis } } };
}

export interface AddedMessage {
  id: unknown;
  mailbox: unknown;
  uid: number;
  size: number;
  status?: string;
}

export interface WildDuckUserHandler {
  asyncResolveAddress(
    address: string,
    options?: { wildcard?: boolean; projection?: Record<string, boolean> },
  ): Promise<AddressRecord | false>;
  create(data: Record<string, unknown>): Promise<unknown>;
  /** Changes fields (password hashed, Redis counters of changed limits reset). */
  update(user: import('mongodb').ObjectId, data: Record<string, unknown>): Promise<unknown>;
  /** Moves the account aside; its mail is purged by WildDuck's task runner after `deleteAfter`. */
  delete(user: import('mongodb').ObjectId, options: { deleteAfter?: Date; ip?: string }): Promise<{ deleteAfter?: string }>;
  asyncAuthenticate(username: string, password: string, scope: string, meta: Record<string, unknown>): Promise<unknown>;
}

export interface AddressRecord {
  _id: unknown;
  user?: import('mongodb').ObjectId;
  targets?: Array<{ type: string; value: unknown; user?: import('mongodb').ObjectId }>;
  /** A forwarded address switched off through WildDuck's API. */
  forwardedDisabled?: boolean;
}

export interface WildDuckMailboxHandler {
  createAsync(user: import('mongodb').ObjectId, path: string, opts: Record<string, unknown>): Promise<{ status: boolean; id: unknown }>;
}

export interface WildDuckSettingsHandler {
  get(key: string, options?: Record<string, unknown>): Promise<unknown>;
}

interface WildDuckModules {
  MessageHandler: new (options: Record<string, unknown>) => WildDuckMessageHandler;
  UserHandler: new (options: Record<string, unknown>) => WildDuckUserHandler;
  SettingsHandler: new (options: Record<string, unknown>) => WildDuckSettingsHandler;
  MailboxHandler: new (options: Record<string, unknown>) => WildDuckMailboxHandler;
  FilterHandler: new (options: Record<string, unknown>) => WildDuckFilterHandler;
}

/** WildDuck's filter handling (user filters, spam level, forwarding targets), as its MX plugin runs it. */
export interface WildDuckFilterHandler {
  maildrop: unknown;
  getUserData(user: string, callback: (err: Error | null, data?: Record<string, unknown> | false) => void): void;
  storeMessage(
    userData: Record<string, unknown>,
    options: Record<string, unknown>,
  ): Promise<{ response: Record<string, unknown>; prepared?: { mimeTree: unknown; maildata: unknown } | false }>;
}

let modules: WildDuckModules | undefined;

function load(): WildDuckModules {
  if (modules) return modules;
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('@zone-eu/wildduck/package.json'));
  // WildDuck's library modules read its config at require time; point them at
  // WildDuck's own defaults instead of the current directory.
  process.env.NODE_CONFIG_DIR ??= path.join(root, 'config');
  modules = {
    MessageHandler: require(path.join(root, 'lib/message-handler.js')),
    UserHandler: require(path.join(root, 'lib/user-handler.js')),
    SettingsHandler: require(path.join(root, 'lib/settings-handler.js')).SettingsHandler,
    MailboxHandler: require(path.join(root, 'lib/mailbox-handler.js')),
    FilterHandler: require(path.join(root, 'lib/filter-handler.js')),
  };
  return modules;
}

export function createHandlers(database: Db, redis: Redis) {
  const { MessageHandler, UserHandler, SettingsHandler } = load();
  const settings = new SettingsHandler({ db: database });
  const messages = new MessageHandler({
    database,
    users: database,
    gridfs: database,
    redis,
    attachments: { type: 'gridstore', bucket: 'attachments', decodeBase64: true },
  });
  const users = new UserHandler({ database, users: database, gridfs: database, redis, messageHandler: messages });
  return { messages, users, settings };
}

/** Connections WildDuck's handlers opened on their own (not closed by closing ours). */
export function handlerConnections(messages: WildDuckMessageHandler): Redis[] {
  const subscriber = messages.attachmentStorage?.storage?.lock?._redisSubscriber;
  return subscriber ? [subscriber] : [];
}

/** WildDuck's mailbox handler on the store's connections (creating folders the way IMAP CREATE does). */
export function createMailboxHandler(
  database: Db,
  redis: Redis,
  messages: WildDuckMessageHandler,
  settings: WildDuckSettingsHandler,
): WildDuckMailboxHandler {
  const { MailboxHandler } = load();
  return new MailboxHandler({ database, users: database, redis, notifier: messages.notifier, settingsHandler: settings });
}

/** WildDuck's filter handler over `messages` (which may be a stand-in that records instead of storing). */
export function createFilterHandler(
  database: Db,
  messages: unknown,
  loggelf: (entry: Record<string, unknown>) => void,
): WildDuckFilterHandler {
  const { FilterHandler } = load();
  const db = { database, users: database, gridfs: database, senderDb: database };
  return new FilterHandler({ db, messageHandler: messages, sender: { gfs: 'mail', collection: 'zone-queue' }, loggelf });
}
