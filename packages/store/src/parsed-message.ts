import type { Store } from './connect.js';

/**
 * One message's parse, shared by the recipients of a transaction and by both of WildDuck's steps for each of them
 * (filter handling, then storing), so the MX parses a message's MIME structure once instead of twice per recipient:
 * on one event loop, a 20 MB message took about half a second per parse.
 *
 * `source` is the MIME tree of the message exactly as received and is never handed to WildDuck itself: WildDuck's
 * message handler rewrites the tree it stores (attachment bodies move to GridFS), so every step gets a copy of its
 * own. `mimeTree`/`maildata` are what the filter handling returned for reuse by the next recipient.
 */
export interface SharedParse {
  source?: MimeNode;
  mimeTree?: unknown;
  maildata?: unknown;
}

/** The parts of WildDuck's MIME tree nodes that a copy must not share (lib/indexer parses them). */
export interface MimeNode {
  header?: string[];
  parsedHeader?: Record<string, unknown>;
  childNodes?: MimeNode[];
  message?: MimeNode;
  [field: string]: unknown;
}

/** The message's MIME tree as received, parsed on first use. */
export function sourceTree(store: Store, raw: Buffer, shared: SharedParse): MimeNode {
  shared.source ??= store.messages.indexer.parseMimeTree(raw) as MimeNode;
  return shared.source;
}

/**
 * A copy WildDuck may change: every node is a new object with its own header lists (as WildDuck's filter handler
 * copies trees); the body buffers are shared, and WildDuck only reads them. Non-enumerable properties are kept:
 * the root's `rawSource`, the bytes as received (WildDuck patch 011), is what makes the stored message exact.
 */
export function copyMimeTree(node: MimeNode): MimeNode {
  const copy = Object.create(Object.getPrototypeOf(node), Object.getOwnPropertyDescriptors(node)) as MimeNode;
  if (node.header) copy.header = [...node.header];
  if (node.parsedHeader) copy.parsedHeader = { ...node.parsedHeader };
  if (Array.isArray(node.childNodes)) copy.childNodes = node.childNodes.map(copyMimeTree);
  if (node.message) copy.message = copyMimeTree(node.message);
  return copy;
}

/**
 * What WildDuck's message handler would compute from the raw message itself (`prepareMessage`, `getMaildata`),
 * from a copy of the shared parse: the stored bytes are the same, the parse is not repeated.
 */
export async function preparedCopy(
  store: Store,
  raw: Buffer,
  shared: SharedParse,
): Promise<{ prepared: Record<string, unknown>; maildata: unknown }> {
  const tree = copyMimeTree(sourceTree(store, raw, shared));
  // in addAsync's order: getMaildata changes the tree (the source moves into it or into GridFS's list)
  const prepared = await store.messages.prepareMessageAsync({ mimeTree: tree });
  return { prepared, maildata: store.messages.indexer.getMaildata(tree) };
}
