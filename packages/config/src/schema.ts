import { z } from 'zod';

const port = z.number().int().min(1).max(65535);

/** The one typed configuration of a Kura stack (file: kura.config.json). */
export const kuraConfigSchema = z
  .object({
    /** Name this mail system answers with in greetings and trace headers. */
    hostname: z.string().min(1).default('localhost'),
    /** Where the local stack keeps its data (databases, generated config, logs). */
    dataDir: z.string().min(1).default('.kura/data'),
    /** Address every local service binds to. Loopback unless you front it with a proxy. */
    host: z.string().default('127.0.0.1'),
    ports: z
      .object({
        smtp: port.default(2525),
        imap: port.default(9143),
        pop3: port.default(9110),
        api: port.default(9080),
        mongodb: port.default(27018),
        redis: port.default(6380),
      })
      .strict()
      .prefault({}),
    mongodb: z
      .object({
        /** External MongoDB (replica set) URI; when unset, the local data tier is started. */
        uri: z.string().optional(),
        database: z.string().min(1).default('kura'),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        /** External Redis URL; when unset, a local redis-server is started. */
        url: z.string().optional(),
        db: z.number().int().min(0).max(15).default(3),
      })
      .strict()
      .prefault({}),
    smtp: z
      .object({
        /** Largest message accepted (advertised as SIZE). */
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(50 * 1024 * 1024),
        /** How long a single delivery to the store may take before it is temp-failed. */
        deliveryTimeoutMs: z.number().int().positive().default(30_000),
      })
      .strict()
      .prefault({}),
    demo: z
      .object({
        domain: z.string().min(1).default('kura.test'),
        username: z.string().min(1).default('demo'),
        password: z.string().min(8).default('demo-password'),
      })
      .strict()
      .prefault({}),
    snapshot: z
      .object({
        /** Where snapshots are written (relative to the config file); default <dataDir>/snapshots. */
        dir: z.string().min(1).optional(),
        /** How many to keep: the newest of each of the last N days / ISO weeks / months that have one (UTC). */
        retention: z
          .object({
            daily: z.number().int().min(0).default(7),
            weekly: z.number().int().min(0).default(4),
            monthly: z.number().int().min(0).default(12),
          })
          .strict()
          .prefault({}),
        /** Upper bound (approximate, compressed bytes) of one chunk file. */
        chunkBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(64 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict();

export type KuraConfigInput = z.input<typeof kuraConfigSchema>;
export type KuraConfigFile = z.output<typeof kuraConfigSchema>;
