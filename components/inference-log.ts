import type { TrafficEvent } from '../core/events/traffic.ts';

/** How a backend did lately, from the router's own events: answered, passed over, or not asked yet. */
export type Health = 'ok' | 'failing' | 'unused';

/** One backend's record since the workbench opened; `recent` keeps only the last `RECENT` outcomes. */
export interface BackendStats {
  /** Calls this backend answered. */
  requests: number;
  /** Times it failed: passed over for a fallback, a 5xx, or a stream cut short. */
  failures: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  readonly recent: { readonly ok: boolean; readonly latencyMs?: number }[];
}

/** Outcomes that make up "recent" health and latency. */
export const RECENT = 5;

/**
 * The Inference pane's memory: a ring of the newest router calls (`layer: "inference"` traffic events)
 * and per-backend totals. Plain code with fixed bounds, like the traffic buffer, so a flood costs nothing more.
 */
export class InferenceLog {
  private readonly ring: (TrafficEvent | undefined)[];
  private next = 0;
  private size = 0;
  /** Bumped on every push: a cheap "did anything change" for renders. */
  version = 0;
  readonly backends = new Map<string, BackendStats>();

  constructor(readonly capacity = 200) {
    this.ring = new Array<TrafficEvent | undefined>(capacity);
  }

  push(e: TrafficEvent): void {
    if (e.layer !== 'inference') return;
    this.ring[this.next] = e;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    this.version++;
    const d = e.inference;
    if (!d) return;
    for (const f of d.fallback) this.outcome(f.backend, false);
    if (d.backend === undefined) return;
    const s = this.stats(d.backend);
    s.requests++;
    s.tokensIn += d.tokensIn;
    s.tokensOut += d.tokensOut;
    s.costUsd += d.costUsd;
    // A 4xx is the request's fault (a bad body), not the backend's.
    this.outcome(d.backend, d.status < 500 && e.error !== 'upstream_stream_broken', d.latencyMs);
  }

  get length(): number {
    return this.size;
  }

  /** Newest first; only the calls `keep` accepts. */
  calls(keep: (e: TrafficEvent) => boolean = () => true): TrafficEvent[] {
    const out: TrafficEvent[] = [];
    for (let i = 1; i <= this.size; i++) {
      const e = this.ring[(this.next - i + this.capacity) % this.capacity]!;
      if (keep(e)) out.push(e);
    }
    return out;
  }

  private stats(backend: string): BackendStats {
    let s = this.backends.get(backend);
    if (!s) this.backends.set(backend, (s = { requests: 0, failures: 0, tokensIn: 0, tokensOut: 0, costUsd: 0, recent: [] }));
    return s;
  }

  private outcome(backend: string, ok: boolean, latencyMs?: number): void {
    const s = this.stats(backend);
    if (!ok) s.failures++;
    s.recent.push(latencyMs === undefined ? { ok } : { ok, latencyMs });
    if (s.recent.length > RECENT) s.recent.shift();
  }
}

/** ok / failing (a failure among the last few outcomes) / unused (never asked since the workbench opened). */
export function healthOf(s: BackendStats | undefined): Health {
  if (!s || s.recent.length === 0) return 'unused';
  return s.recent.some((o) => !o.ok) ? 'failing' : 'ok';
}

/** Mean latency of the recent calls the backend answered, or undefined. */
export function recentLatency(s: BackendStats | undefined): number | undefined {
  const answered = (s?.recent ?? []).filter((o) => o.ok && o.latencyMs !== undefined);
  if (answered.length === 0) return undefined;
  return Math.round(answered.reduce((n, o) => n + o.latencyMs!, 0) / answered.length);
}
