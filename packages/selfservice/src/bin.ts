#!/usr/bin/env node
import { serviceMain } from '@kura/config';
import { runSelfService } from './run.js';

/** `kura-selfservice --resolved-config FILE [--ha]` (how `kura up` starts it) or `kura-selfservice --config kura.config.json [--ha]`. */
serviceMain('kura-selfservice', (config, args) => runSelfService(config, { ha: args.includes('--ha') }));
