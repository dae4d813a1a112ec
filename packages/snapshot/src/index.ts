export { deserialize, serialize } from './bson.js';
export { cleanStaleTemp, findSnapshot, listSnapshots, type SnapshotInfo } from './catalog.js';
export { SKIPPED, SNAPSHOT_ORDER, snapshotCollections } from './collections.js';
export { type CreateOptions, type CreateResult, createSnapshot, snapshotId } from './create.js';
export { fsError, SnapshotError } from './errors.js';
export {
  type ChunkEntry,
  type CollectionEntry,
  CollectionWriter,
  checkCompatible,
  compareVersions,
  FORMAT_VERSION,
  MANIFEST,
  type Manifest,
  readChunk,
  readCollection,
  readManifest,
  TMP_PREFIX,
  wildDuckVersions,
} from './format.js';
export type { Progress, ProgressListener } from './progress.js';
export { type PruneResult, pruneSnapshots } from './prune.js';
export {
  assertEmpty,
  type FullRestoreOptions,
  type FullRestoreReport,
  type MailboxReport,
  type Notifier,
  type PartialRestoreOptions,
  type PartialRestoreReport,
  type RestoreTarget,
  restoreFull,
  restorePartial,
} from './restore.js';
export { applyRetention, type Dated, DEFAULT_RETENTION, isoWeekKey, type RetentionDecision, type RetentionPolicy } from './retention.js';
export { type VerifyOptions, type VerifyProblem, type VerifyReport, verifyChecksums, verifySnapshot } from './verify.js';
