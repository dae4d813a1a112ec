/**
 * A storage failure in which the outcome of a write is unknown or negative.
 * Protocol edges map it to a temporary failure (SMTP 451): the sender retries,
 * nothing is bounced, nothing is silently dropped.
 */
export class TemporaryStoreError extends Error {
  override name = 'TemporaryStoreError';
  constructor(
    message: string,
    readonly reason: 'timeout' | 'unavailable' | 'write-failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs `work`, failing with a TemporaryStoreError after `ms` milliseconds. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TemporaryStoreError(`${what} took longer than ${ms} ms`, 'timeout')), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
