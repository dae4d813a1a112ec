import { z } from 'zod';

/**
 * The production profile: TLS on every listener that leaves the host, a token
 * on the WildDuck API, passwords on Redis and Sentinel, HAProxy's runtime API
 * on a Unix socket. `kura up --ha` always runs it; a deployment switches it on
 * here. Secrets never live in this file: they come from `secretsFile` (0600,
 * generated when missing) or the environment (see docs/security.md).
 */
export const securitySchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Address of the administrative listeners (WildDuck API, health, metrics); default: `host`. */
    internalHost: z.string().min(1).optional(),
    /** Where generated secrets are kept (mode 0600); default <dataDir>/secrets.json. */
    secretsFile: z.string().min(1).optional(),
    /** PEM files for every TLS listener, re-read on SIGHUP or when they change (certbot deploy hook: `kura reload`). */
    tls: z
      .object({
        cert: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
        /** CA that Kura's own clients (guard, drills) trust; unset: the system store. */
        ca: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Per-IP failed-login limit across IMAP, POP3, the API's /authenticate and submission, shared by every
     * node through Redis: after `failures` failures within `windowSeconds`, that address is refused for
     * `blockSeconds`. Applies in the secured profile; 0 failures switches it off.
     */
    loginFailures: z
      .object({
        failures: z.number().int().min(0).default(10),
        windowSeconds: z.number().int().min(1).default(300),
        blockSeconds: z.number().int().min(1).default(900),
        /**
         * Client addresses never counted or refused: the guard's (its probes log in with the canary and
         * would block themselves while the canary account does not exist yet) and monitoring hosts.
         * `kura up --ha` on loopback adds 127.0.0.1, where its guard runs.
         */
        exempt: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});
