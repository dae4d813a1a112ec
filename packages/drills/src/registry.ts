import { datatierDrill } from './datatier.js';
import { harakaDrill } from './haraka.js';
import { redisDrill } from './redis.js';
import type { Drill, DrillName } from './types.js';
import { wildduckDrill } from './wildduck.js';

/** Every drill by name: adding one is a module plus a line here (the type insists on each name in DRILL_NAMES). */
export const DRILL_REGISTRY: Record<DrillName, Drill> = {
  wildduck: wildduckDrill,
  haraka: harakaDrill,
  redis: redisDrill,
  datatier: datatierDrill,
};

/** Each drill's one-line description, by name (what `kura drill` lists and prints). */
export const DRILLS = Object.fromEntries(Object.entries(DRILL_REGISTRY).map(([name, drill]) => [name, drill.description])) as Record<
  DrillName,
  string
>;
