/**
 * Kura's Haraka plugin. Haraka copies these exports onto its plugin object,
 * so each hook runs with `this` bound to that object. Hooks read like the
 * SMTP dialogue; each one delegates to a module with a single concern.
 */
import { deliverMessage } from './deliver.js';
import type { HarakaAddress, HarakaConnection, HarakaPlugin, Next } from './haraka.js';
import { checkRecipient } from './recipients.js';
import { closeStore, inboundConfig } from './store-handle.js';

export function register(this: HarakaPlugin) {
  // Fail at start-up, not at the first message, when the config is missing.
  inboundConfig();
}

export function hook_rcpt(this: HarakaPlugin, next: Next, connection: HarakaConnection, params: [HarakaAddress]) {
  void checkRecipient(this, next, connection, params);
}

export function hook_queue(this: HarakaPlugin, next: Next, connection: HarakaConnection) {
  void deliverMessage(this, next, connection);
}

export function shutdown(this: HarakaPlugin) {
  void closeStore();
}
