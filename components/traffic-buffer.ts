import type { TrafficEvent } from '../core/events/traffic.ts';

export interface Counts {
  allow: number;
  deny: number;
}

/**
 * The traffic pane's memory: a ring of the newest `capacity` events, per-sandbox totals, and per-second
 * buckets for the header's rates. Plain code, so a million events cost a fixed amount of memory.
 */
export class TrafficBuffer {
  private readonly ring: (TrafficEvent | undefined)[];
  private next = 0;
  private size = 0;
  /** Bumped on every push: a cheap "did anything change" for renders. */
  version = 0;
  readonly totals = new Map<string, Counts>();
  private readonly buckets: { second: number; allow: number; deny: number }[] = [];

  constructor(
    readonly capacity = 5000,
    private readonly windowSeconds = 10,
  ) {
    this.ring = new Array<TrafficEvent | undefined>(capacity);
  }

  push(event: TrafficEvent, nowMs = Date.now()): void {
    this.ring[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    this.version++;
    let t = this.totals.get(event.sandbox);
    if (!t) this.totals.set(event.sandbox, (t = { allow: 0, deny: 0 }));
    t[event.action]++;
    const second = Math.floor(nowMs / 1000);
    let bucket = this.buckets.at(-1);
    if (bucket?.second !== second) {
      this.buckets.push((bucket = { second, allow: 0, deny: 0 }));
      while (this.buckets.length > this.windowSeconds) this.buckets.shift();
    }
    bucket[event.action]++;
  }

  get length(): number {
    return this.size;
  }

  /** Oldest first; only the events `keep` accepts. */
  events(keep: (e: TrafficEvent) => boolean = () => true): TrafficEvent[] {
    const out: TrafficEvent[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const e = this.ring[(start + i) % this.capacity]!;
      if (keep(e)) out.push(e);
    }
    return out;
  }

  /** Decisions per second over the last window. */
  rates(nowMs = Date.now()): Counts {
    const from = Math.floor(nowMs / 1000) - this.windowSeconds;
    const recent = this.buckets.filter((b) => b.second > from);
    const sum = (k: keyof Counts) => recent.reduce((n, b) => n + b[k], 0) / this.windowSeconds;
    return { allow: sum('allow'), deny: sum('deny') };
  }
}
