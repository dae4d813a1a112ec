import { createRequire } from 'node:module';
import type { Document } from 'mongodb';

interface BsonModule {
  serialize(doc: Document): Buffer;
  deserialize(buffer: Buffer, options?: Record<string, unknown>): Document;
}

/**
 * The BSON library the MongoDB driver itself uses (so ObjectId, Binary and
 * Timestamp are the driver's classes). Loaded directly rather than through the
 * driver's lib/bson.js, whose serialize/deserialize the FerretDB adapter wraps:
 * snapshot files always hold plain MongoDB documents, whatever the data tier.
 */
const require = createRequire(createRequire(import.meta.url).resolve('mongodb'));
const bson = require('bson') as BsonModule;

export const serialize = (doc: Document): Buffer => bson.serialize(doc);
export const deserialize = (buffer: Buffer): Document => bson.deserialize(buffer);
