import { z } from 'zod';

/**
 * The webmail: Debian's Roundcube, wired to Kura's own IMAP and submission
 * ports. The local stack runs it under PHP's built-in server on ports.webmail;
 * production runs the same Roundcube behind the TLS front (deploy/webmail).
 */
export const webmailSchema = z
  .object({
    /** Start Roundcube with the local stack (needs Debian's roundcube-core, roundcube-sqlite3 and php8.2-cli). */
    enabled: z.boolean().default(true),
    /** Roundcube's installation directory (Debian: /var/lib/roundcube, with public_html/ as the document root). */
    roundcubeDir: z.string().min(1).default('/var/lib/roundcube'),
    /** Roundcube's shipped defaults, read unchanged; Kura's generated config only overrides. */
    defaultsFile: z.string().min(1).default('/etc/roundcube/defaults.inc.php'),
    /** The PHP command line interpreter that serves the local webmail. */
    php: z.string().min(1).default('php'),
    /** Domain added to a login name without "@" to form the sender address (default: demo.domain). */
    mailDomain: z.string().min(1).optional(),
    /** Name shown on the login page and in the browser title. */
    productName: z.string().min(1).default('Kura Webmail'),
  })
  .strict()
  .prefault({});
