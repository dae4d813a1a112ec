import { renderAdmissionLimits } from './haraka-limits.js';
import { hookTimeouts } from './hook-timeouts.js';
import type { KuraConfig } from './resolve.js';
import { isSecured } from './security.js';

/** Files of a Haraka config directory (relative path → content), generated from Kura's config. */
export type HarakaFiles = Record<string, string>;

/** Longest DATA line Haraka passes on unchanged; Kura's plugin refuses messages with longer ones. */
export const MAX_DATA_LINE_BYTES = 2 * 1024 * 1024;

export interface HarakaOptions {
  smtpPort?: number;
  /** Absolute path of Kura's inbound plugin module. */
  pluginModule: string;
  /** Absolute path of haraka-plugin-limit with a Sentinel-aware client (admission limits with Redis behind Sentinel). */
  sentinelLimitModule?: string;
}

export function renderHarakaConfig(config: KuraConfig, options: HarakaOptions): HarakaFiles {
  const port = options.smtpPort ?? config.ports.smtp;
  const limits = renderAdmissionLimits(config, options.sentinelLimitModule);
  // Secured profile: STARTTLS on the MX through Haraka's tls plugin (MTA peers may still send in clear, as on
  // the Internet; there is no AUTH on the MX to protect). Kura's plugin re-reads the certificate when it changes.
  const { cert, key } = config.security.tls;
  const tls = isSecured(config) && cert && key;
  return {
    ...limits,
    ...(tls ? { 'config/tls.ini': ini({ main: { key, cert, requestCert: false } }) } : {}),
    'config/me': `${config.hostname}\n`,
    'config/smtp.ini': ini({
      main: { listen: `${config.host}:${port}`, nodes: 0, graceful_shutdown: true, force_shutdown_timeout: 10 },
    }),
    // Haraka reads every section of connection.ini from one file: all of them are written.
    'config/connection.ini': ini({
      main: {},
      haproxy: { 'hosts[]': config.ha.haproxy.proxyProtocolFrom ?? '' },
      // Kura's plugin removes only the Authentication-Results that claim its own authserv-id, in place;
      // Haraka's default would rename every one and move it to the end of the header.
      headers: { max_lines: 1000, max_received: 100, clean_auth_results: false },
      // Size is enforced by Kura's plugin, which stops spooling DATA past the limit and answers 552 5.3.4 as
      // RFC 1870 asks (Haraka's own check says 550, also at MAIL FROM). Haraka would wrap longer DATA lines
      // (changing the message); Kura refuses them instead (554 5.6.0).
      max: { bytes: 0, mime_parts: 1000, line_length: 512, data_line_length: MAX_DATA_LINE_BYTES },
      message: { helo: `${config.hostname} (Kura)`, close: 'closing connection' },
      uuid: { banner_chars: 6, deny_chars: 0 },
    }),
    'config/smtpgreeting': `${config.hostname} ESMTP Kura\n`,
    // logfmt: one key=value line per event, the transaction's queue id in every line.
    'config/log.ini': ini({ main: { level: harakaLogLevel(config.logLevel), timestamps: true, format: 'logfmt' } }),
    // Admission limits first, then Kura's plugin (recipients, loops, lanes, durable delivery).
    'config/plugins': `${tls ? 'tls\n' : ''}${limits ? 'limit\n' : ''}kura\n`,
    // The plugin sets a timer per hook (hookTimeouts); this default covers any hook it does not, and is the longest.
    'config/kura.timeout': `${Math.max(...Object.values(hookTimeouts(config)).map((t) => t.harakaSeconds))}\n`,
    // A folder plugin whose package points at the compiled inbound plugin.
    'plugins/kura/package.json': `${JSON.stringify({ name: 'kura', private: true, main: 'index.js' }, null, 2)}\n`,
    'plugins/kura/index.js': `module.exports = require(${JSON.stringify(options.pluginModule)});\n`,
  };
}

function harakaLogLevel(level: KuraConfig['logLevel']): string {
  return level === 'trace' ? 'protocol' : level === 'debug' ? 'debug' : level === 'warn' ? 'warn' : level === 'error' ? 'error' : 'info';
}

function ini(sections: Record<string, Record<string, string | number | boolean>>): string {
  return Object.entries(sections)
    .map(([name, values]) => {
      const lines = Object.entries(values).map(([key, value]) => `${key}=${value}`);
      return `[${name}]\n${lines.join('\n')}\n`;
    })
    .join('\n');
}
