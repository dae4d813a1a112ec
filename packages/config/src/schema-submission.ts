import { z } from 'zod';

/**
 * Authenticated submission (ports.submission with STARTTLS, ports.submissions with implicit TLS):
 * how failed logins are slowed and limited, and what the Received header reveals.
 * The size limit is the inbound one (smtp.maxMessageBytes).
 */
export const submissionSchema = z
  .object({
    /** Failed logins from one client address within `authFailureWindowSeconds` before every AUTH from it is refused (454 4.7.0). */
    authFailuresPerIp: z.number().int().positive().default(10),
    authFailureWindowSeconds: z.number().int().positive().default(900),
    /** A failed login is answered after this delay times the address's recent failures (at most 5 s). */
    authFailureDelayMs: z.number().int().min(0).default(1_000),
    /** Recipients per message (452 4.5.3 beyond). */
    maxRecipients: z.number().int().positive().default(100),
    /** Write the client's IP address into the Received header (off: the header names only the authenticated session). */
    revealClientIp: z.boolean().default(false),
  })
  .strict()
  .prefault({});
