import type { Duplex, Writable } from 'node:stream';

const EMPTY = Buffer.alloc(0);
const HIGH_WATER = 256 * 1024;

/**
 * Pull-style reading of a socket for the parser: bytes wait here (the socket is paused above a high-water
 * mark, so a fast sender is held back by TCP), and each step takes exactly what belongs to it.
 */
export class ByteReader {
  private buf: Buffer = EMPTY;
  private ended = false;
  private failed: Error | null = null;
  private wake: (() => void) | null = null;
  /** While `pipeTo` runs, chunks go straight to it instead of the buffer. */
  private sink: ((c: Buffer) => void) | null = null;

  constructor(private readonly stream: Duplex) {
    stream.on('data', (c: Buffer) => {
      if (this.sink) return this.sink(c);
      this.buf = this.buf.length === 0 ? c : Buffer.concat([this.buf, c]);
      if (this.buf.length > HIGH_WATER) stream.pause();
      this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', (err: Error) => {
      this.failed = err;
      this.notify();
    });
    stream.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  /** Bytes received and not yet taken. */
  get buffered(): Buffer {
    return this.buf;
  }

  get done(): boolean {
    return this.buf.length === 0 && (this.ended || this.failed !== null);
  }

  /** Waits for more bytes; false at the end of the stream. */
  async more(): Promise<boolean> {
    this.rethrow();
    if (this.ended) return false;
    const before = this.buf.length;
    this.stream.resume();
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.rethrow();
    return this.buf.length > before;
  }

  /**
   * Moves exactly `n` bytes (Infinity: until the stream ends) to `dst`: chunks are written as they
   * arrive, the source paused while `dst` is full, so a large body costs no promise per chunk.
   */
  pipeTo(dst: Writable, n: number): Promise<number> {
    let left = n;
    const first = this.take(Math.min(n, this.buf.length));
    if (first.length > 0) dst.write(first);
    left -= first.length;
    let copied = first.length;
    if (left === 0) return Promise.resolve(n);
    return new Promise<number>((resolve, reject) => {
      let waiting = false;
      const finish = (err?: Error): void => {
        this.sink = null;
        this.wake = null;
        dst.off('drain', drained);
        dst.off('close', closed);
        if (err) reject(err);
        else resolve(copied);
      };
      const drained = (): void => {
        waiting = false;
        this.stream.resume();
      };
      const closed = (): void => finish(new Error('the connection closed'));
      dst.on('drain', drained);
      dst.once('close', closed);
      this.sink = (c) => {
        const part = c.length > left ? c.subarray(0, left) : c;
        if (part.length < c.length) this.buf = c.subarray(part.length);
        left -= part.length;
        copied += part.length;
        if (!dst.write(part) && !waiting && left > 0) {
          waiting = true;
          this.stream.pause();
        }
        if (left === 0) finish();
      };
      // End, close or error of the source while piping.
      this.wake = () => {
        if (this.failed) return finish(this.failed);
        if (n === Infinity) return finish();
        finish(new Error('the stream ended early'));
      };
      this.stream.resume();
    });
  }

  private rethrow(): void {
    if (this.failed) throw this.failed;
  }

  take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = n >= this.buf.length ? EMPTY : this.buf.subarray(n);
    if (this.buf.length < HIGH_WATER && this.stream.isPaused() && !this.ended) this.stream.resume();
    return out;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

/** Writes with back-pressure: waits for `drain` when the destination's buffer is full. */
export async function write(dst: Writable, chunk: Buffer): Promise<void> {
  if (dst.destroyed) throw new Error('the connection closed');
  if (dst.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      dst.off('drain', ok);
      dst.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const ok = (): void => done();
    const closed = (): void => done(new Error('the connection closed'));
    dst.once('drain', ok);
    dst.once('close', closed);
  });
}
