import path from 'node:path';

/** The self-service page's executable (started by `kura up` as its own supervised process). */
export const selfServiceBin = path.join(path.dirname(new URL(import.meta.url).pathname), 'bin.js');

export { checkTargets, checkVacation } from './forms.js';
export { pickText, type Text } from './i18n/index.js';
export { apiBases, runSelfService, type SelfServiceOptions } from './run.js';
