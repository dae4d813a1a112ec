/**
 * A snapshot problem worded for the operator at 3 a.m.: what went wrong,
 * where, and what to do. `code` lets callers and tests tell them apart.
 */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
  constructor(
    message: string,
    readonly code:
      | 'no-space'
      | 'bad-path'
      | 'not-found'
      | 'newer-schema'
      | 'corrupt'
      | 'not-empty'
      | 'no-such-user'
      | 'no-such-mailbox'
      | 'conflict'
      | 'consistency'
      | 'aborted',
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Turns file-system errors into SnapshotErrors that name the path and the fix. */
export function fsError(err: unknown, what: string, file: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new SnapshotError(
      `no space left on the device while ${what} (${file})`,
      'no-space',
      'free space there or set snapshot.dir / --dest to another disk, then run again',
      { cause: err },
    );
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new SnapshotError(
      `${file} is not a directory, or a file stands in its path (${what})`,
      'bad-path',
      'choose a directory path (snapshot.dir or --dest)',
      { cause: err },
    );
  }
  if (code === 'ENOENT') {
    return new SnapshotError(`${file} does not exist (${what})`, 'bad-path', 'check the path; `kura snapshot list` shows what is there', {
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new SnapshotError(
      `no permission while ${what} (${file})`,
      'bad-path',
      'run as the user that owns the directory, or choose another one',
      { cause: err },
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
