export { describeEndpoints, type Endpoints, formatEndpoints } from './stack/endpoints.js';
export { haPaths, haServices, haStackConfig, httpStatus } from './stack/ha.js';
export { freePorts, portIsFree, waitUntil } from './stack/probe.js';
export { SetupError } from './stack/services.js';
export { type RunningStack, type StackOptions, startStack } from './stack/stack.js';
export { submissionCertificates } from './stack/submission.js';
export { Supervisor } from './stack/supervisor.js';
export { ensureLocalCertificates, type LocalCertificates } from './stack/tls.js';
