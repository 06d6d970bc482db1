import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TrafficEvent } from '../events/traffic.ts';

/**
 * The supervisor's event output: one JSON line per event on stdout (the gateway follows it) and in a
 * bounded file on the state volume (read back after a gateway restart). `seq` survives restarts.
 */

export const EVENTS_FILE = 'events.jsonl';
export const SEQ_FILE = 'seq';
const ROTATE_BYTES = 5 * 1024 * 1024;
const SEQ_EVERY = 100;
/**
 * How long allowed decisions and flow-ends wait to be written together. Each write to stdout wakes the
 * container runtime and the gateway: written per connection, that cost more CPU than the connection
 * itself (measured: 0.2 ms less per new connection on 2 cores with this window).
 */
export const BATCH_MS = 20;

export type DecisionFields = Omit<TrafficEvent, 'seq' | 'time' | 'sandbox'>;

export interface EventSinkOptions {
  readonly dir: string;
  readonly sandbox: string;
  readonly write?: (line: string) => void;
  readonly rotateBytes?: number;
  /**
   * Allowed decisions and flow-ends are queued and written together within `BATCH_MS`: an admitted
   * connection gets its `200` first, and connections share the syscalls and the wake-ups downstream.
   * Denies and status lines go out at once, with whatever is queued before them (order is kept). On by
   * default for stdout (the supervisor); `close()` and process exit flush what is queued.
   */
  readonly batch?: boolean;
}

export class EventSink {
  private seq: number;
  private sinceSaved = 0;
  private fd: number | null = null;
  private size = 0;
  private readonly write: (line: string) => void;
  private readonly rotateBytes: number;
  private readonly batched: boolean;
  /** Lines waiting for the next flush, serialised only then (off the connection's path). */
  private queue: object[] = [];
  /** Which of them also go to the file (the others are stdout-only status lines). */
  private persistQueue: boolean[] = [];
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: EventSinkOptions) {
    this.write = opts.write ?? ((line) => process.stdout.write(line));
    this.rotateBytes = opts.rotateBytes ?? ROTATE_BYTES;
    this.batched = opts.batch ?? opts.write === undefined;
    if (this.batched) process.once('exit', () => this.flush());
    try {
      mkdirSync(opts.dir, { recursive: true });
    } catch {
      // An unwritable state volume must not stop enforcement; stdout still carries every event.
    }
    // A crash may lose up to SEQ_EVERY unsaved numbers: skipping that many keeps seq strictly increasing.
    this.seq = readSeq(join(opts.dir, SEQ_FILE)) + SEQ_EVERY;
    this.saveSeq();
    this.openFile();
  }

  /** Any line (ready, policy, …): stamped with the time and written to stdout only. */
  line(event: Record<string, unknown>, persist = false): void {
    this.emit({ ...event, time: new Date().toISOString() }, persist, true);
  }

  /** A decision: returns its seq (the key of a later `flow-end`). */
  decision(fields: DecisionFields): number {
    const seq = this.next();
    const event: TrafficEvent & { type: 'decision' } = { type: 'decision', seq, time: new Date().toISOString(), sandbox: this.opts.sandbox, ...fields };
    this.emit(event, true, fields.action === 'deny');
    return seq;
  }

  flowEnd(seq: number, stats: { bytesIn: number; bytesOut: number; durationMs: number; reason?: string }): void {
    this.emit({ type: 'flow-end', seq, time: new Date().toISOString(), sandbox: this.opts.sandbox, ...stats }, true, false);
  }

  /** Writes the queued lines now (stdout in one write, the file in as few as rotation allows). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.sinceSaved >= SEQ_EVERY / 2) this.saveSeq();
    if (this.queue.length === 0) return;
    const queued = this.queue;
    const persist = this.persistQueue;
    this.queue = [];
    this.persistQueue = [];
    let out = '';
    let chunk = '';
    for (let i = 0; i < queued.length; i++) {
      const l = JSON.stringify(queued[i]) + '\n';
      out += l;
      if (!persist[i]) continue;
      // Split where one more line would cross the rotation bound, so rotation stays exact.
      if (chunk !== '' && this.size + chunk.length + l.length > this.rotateBytes) {
        this.append(chunk);
        chunk = '';
      }
      chunk += l;
    }
    this.write(out);
    if (chunk !== '') this.append(chunk);
  }

  /** Saves the cursor; call on exit. */
  close(): void {
    this.flush();
    this.saveSeq();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Batched: an event object is kept as it is and serialised at the flush, after the connection it
   * describes got its answer (its fields are fresh objects of the caller's, never changed afterwards).
   */
  private emit(line: object, persist: boolean, now: boolean): void {
    if (!this.batched) {
      const text = JSON.stringify(line) + '\n';
      this.write(text);
      if (persist) this.append(text);
      return;
    }
    this.queue.push(line);
    this.persistQueue.push(persist);
    if (now) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  /**
   * The cursor is saved at a flush once half of SEQ_EVERY numbers are unsaved (off the connection's
   * path), and at once when a burst reaches SEQ_EVERY before a flush: never more unsaved than a restart skips.
   */
  private next(): number {
    this.seq++;
    if (++this.sinceSaved >= SEQ_EVERY) this.saveSeq();
    return this.seq;
  }

  private saveSeq(): void {
    this.sinceSaved = 0;
    try {
      const file = join(this.opts.dir, SEQ_FILE);
      writeFileSync(`${file}.tmp`, String(this.seq));
      renameSync(`${file}.tmp`, file);
    } catch {
      // Best effort: see the constructor.
    }
  }

  private openFile(): void {
    try {
      const file = join(this.opts.dir, EVENTS_FILE);
      this.fd = openSync(file, 'a');
      this.size = statSync(file).size;
    } catch {
      this.fd = null;
    }
  }

  private append(text: string): void {
    if (this.fd === null) return;
    try {
      if (this.size + text.length > this.rotateBytes) {
        closeSync(this.fd);
        renameSync(join(this.opts.dir, EVENTS_FILE), join(this.opts.dir, 'events.1.jsonl'));
        this.openFile();
        if (this.fd === null) return;
      }
      this.size += writeSync(this.fd, text);
    } catch {
      this.fd = null;
    }
  }
}

function readSeq(file: string): number {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}
