/**
 * A delivery lane: at most `concurrency` deliveries and `bytesInFlight` bytes
 * at once; later arrivals wait in order. Large messages get their own lane so
 * that a flood of them queues behind itself while small mail keeps flowing.
 */
export interface LaneOptions {
  name: string;
  concurrency: number;
  bytesInFlight: number;
}

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class Lane {
  private active = 0;
  private bytes = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly options: LaneOptions) {}

  get inFlightBytes(): number {
    return this.bytes;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `work` once the lane has room; a message larger than the byte budget runs alone. */
  async run<T>(bytes: number, waitTimeoutMs: number, work: () => Promise<T>): Promise<T> {
    await this.acquire(bytes, waitTimeoutMs);
    try {
      return await work();
    } finally {
      this.release(bytes);
    }
  }

  private fits(bytes: number): boolean {
    if (this.active >= this.options.concurrency) return false;
    return this.active === 0 || this.bytes + bytes <= this.options.bytesInFlight;
  }

  private acquire(bytes: number, waitTimeoutMs: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.take(bytes);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          this.take(bytes);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new LaneTimeoutError(`${this.options.name} lane busy for ${waitTimeoutMs} ms`));
      }, waitTimeoutMs);
      this.waiting.push(waiter);
    });
  }

  private take(bytes: number) {
    this.active++;
    this.bytes += bytes;
  }

  private release(bytes: number) {
    this.active--;
    this.bytes -= bytes;
    // First come, first served: the head of the queue goes next or nobody does.
    while (this.waiting.length > 0 && this.fits((this.waiting[0] as Waiter).bytes)) (this.waiting.shift() as Waiter).grant();
  }
}

export class LaneTimeoutError extends Error {
  override name = 'LaneTimeoutError';
}
