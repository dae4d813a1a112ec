import path from 'node:path';

export { type RunningSubmission, type SubmissionOptions, startSubmission } from './server.js';

/** Absolute path of the compiled `kura-submission` entry point (what the local stack and systemd start). */
export const submissionBin = path.join(path.dirname(new URL(import.meta.url).pathname), 'bin.js');
