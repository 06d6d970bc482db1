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

export type DecisionFields = Omit<TrafficEvent, 'seq' | 'time' | 'sandbox'>;

export interface EventSinkOptions {
  readonly dir: string;
  readonly sandbox: string;
  readonly write?: (line: string) => void;
  readonly rotateBytes?: number;
}

export class EventSink {
  private seq: number;
  private sinceSaved = 0;
  private fd: number | null = null;
  private size = 0;
  private readonly write: (line: string) => void;
  private readonly rotateBytes: number;

  constructor(private readonly opts: EventSinkOptions) {
    this.write = opts.write ?? ((line) => process.stdout.write(line));
    this.rotateBytes = opts.rotateBytes ?? ROTATE_BYTES;
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
    const text = JSON.stringify({ ...event, time: new Date().toISOString() }) + '\n';
    this.write(text);
    if (persist) this.append(text);
  }

  /** A decision: returns its seq (the key of a later `flow-end`). */
  decision(fields: DecisionFields): number {
    const seq = this.next();
    const event: TrafficEvent = { seq, time: new Date().toISOString(), sandbox: this.opts.sandbox, ...fields };
    const text = JSON.stringify({ type: 'decision', ...event }) + '\n';
    this.write(text);
    this.append(text);
    return seq;
  }

  flowEnd(seq: number, stats: { bytesIn: number; bytesOut: number; durationMs: number; reason?: string }): void {
    const text = JSON.stringify({ type: 'flow-end', seq, time: new Date().toISOString(), sandbox: this.opts.sandbox, ...stats }) + '\n';
    this.write(text);
    this.append(text);
  }

  /** Saves the cursor; call on exit. */
  close(): void {
    this.saveSeq();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  get lastSeq(): number {
    return this.seq;
  }

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
