/**
 * Preloaded (`node --import`) into WildDuck processes that run against the
 * local FerretDB data tier, so that WildDuck's own copy of the MongoDB driver
 * gets the same adapter as Kura's store. Never used with MongoDB.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { installFerretDbCompat } from './ferretdb-compat.js';

installFerretDbCompat(createRequire(path.join(process.cwd(), 'package.json')));
