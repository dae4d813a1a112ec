import { z } from 'zod';

/** Kura's self-service page: users set their vacation reply and forwarding with their mail password. */
export const selfServiceSchema = z
  .object({
    /** Failed logins from one IP address within `failedLoginWindowSeconds` before further attempts are refused. */
    maxFailedLogins: z.number().int().min(1).default(10),
    failedLoginWindowSeconds: z.number().int().min(10).default(900),
    /** A session ends after this long without a request. */
    sessionIdleMinutes: z.number().int().min(1).default(30),
    /**
     * Addresses (IPs or CIDRs) of the TLS front allowed to name the client in X-Forwarded-For; unset: the
     * peer address is the client (the page is reached directly).
     */
    trustProxy: z.array(z.string().min(1)).optional(),
    /** The time zone vacation days are whole days in (IANA name, e.g. "Asia/Tokyo"); unset: the server's. */
    timeZone: z
      .string()
      .refine(
        (name) => {
          try {
            new Intl.DateTimeFormat('en', { timeZone: name });
            return true;
          } catch {
            return false;
          }
        },
        { message: 'expected an IANA time zone name such as "Asia/Tokyo"' },
      )
      .optional(),
  })
  .strict()
  .prefault({});
