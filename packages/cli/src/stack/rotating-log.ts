import fs from 'node:fs';

export interface RotationOptions {
  /** Rotate once the current file would grow past this many bytes. */
  maxBytes: number;
  /** How many rotated files (`name.1` … `name.N`) to keep; older ones are deleted. */
  keep: number;
}

/** 10 MiB × 5 files per service: a week of a busy local stack without filling a laptop's disk. */
export const DEFAULT_ROTATION: RotationOptions = { maxBytes: 10 * 1024 * 1024, keep: 5 };

/**
 * An append-only log file that rotates by size (`svc.log` → `svc.log.1` → …), so a
 * long-running local stack cannot fill the disk. Writes are synchronous appends:
 * a line reaches the file before a crash report refers to it.
 */
export class RotatingLog {
  private fd: number | undefined;
  private size: number;

  constructor(
    private readonly file: string,
    private readonly options: RotationOptions = DEFAULT_ROTATION,
  ) {
    if (options.maxBytes < 1 || options.keep < 0) throw new RangeError('maxBytes must be positive and keep not negative');
    this.fd = fs.openSync(file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  write(text: string): void {
    if (this.fd === undefined) throw new Error(`log ${this.file} is closed`);
    const bytes = Buffer.from(text);
    if (this.size > 0 && this.size + bytes.length > this.options.maxBytes) this.rotate();
    fs.writeSync(this.fd, bytes);
    this.size += bytes.length;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private rotate(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    const { keep } = this.options;
    if (keep === 0) fs.rmSync(this.file, { force: true });
    else {
      fs.rmSync(`${this.file}.${keep}`, { force: true });
      for (let n = keep - 1; n >= 1; n--) {
        if (fs.existsSync(`${this.file}.${n}`)) fs.renameSync(`${this.file}.${n}`, `${this.file}.${n + 1}`);
      }
      fs.renameSync(this.file, `${this.file}.1`);
    }
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = 0;
  }
}
