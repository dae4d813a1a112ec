#!/usr/bin/env node
import { serviceMain } from '@kura/config';
import { runGuard } from './run.js';

/** `kura-guard --resolved-config FILE` (how `kura up --ha` starts it) or `kura-guard --config kura.config.json`. */
serviceMain('kura-guard', (config) => runGuard(config));
