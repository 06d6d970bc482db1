import type { ProcReader } from './procfs.ts';

/**
 * Finds proxy connections held by a process of another executable that is not the caller's relative:
 * a descriptor passed over a unix socket (SCM_RIGHTS) or kept by a child re-parented after a double fork.
 * Only reading every process's descriptor table can tell, and that costs about 25 µs per process in a
 * sandbox (5 ms with 200 processes): too slow for every connection's path, so it runs right after the
 * connection is admitted, for all connections admitted meanwhile in one pass, in small slices between
 * other work. A hit closes the connection (the proxy reports it as `identity_ambiguous`).
 *
 * What this does not change: a descriptor handed over after the check is not seen (as with a handover
 * after the first request, which identity at first request could never see either).
 */

export interface SharedHolder {
  readonly pid: number;
  readonly exe: string;
}

interface Watch {
  readonly link: string;
  readonly owner: number;
  readonly binary: string;
  readonly onShared: (other: SharedHolder) => void;
  done: boolean;
}

/** Processes read between two yields to the event loop. */
const SLICE = 24;
/**
 * At most one pass per this many ms: connections opened meanwhile share the next pass. Bounds the cost
 * (a 5–12 ms pass with 200 processes is at most a few % of a core) and the time a shared socket can be
 * used before it is cut (this plus one pass).
 */
const MIN_GAP_MS = 200;

export class HolderSweep {
  private pending: Watch[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastStart = -Infinity;
  /** Completed passes, and how long the last one took from start to end (tests, benchmark). */
  passes = 0;
  lastPassMs = 0;

  constructor(
    private readonly proc: ProcReader,
    private readonly skip: ReadonlySet<number>,
  ) {}

  /** Checks once, soon, that nobody but `owner`'s executable holds `socket:[inode]`. Returns an unwatch. */
  watch(inode: number, owner: number, binary: string, onShared: (other: SharedHolder) => void): () => void {
    const w: Watch = { link: `socket:[${inode}]`, owner, binary, onShared, done: false };
    this.pending.push(w);
    this.schedule();
    return () => {
      w.done = true;
    };
  }

  /** Resolves when every watch added so far has been checked. */
  async settled(): Promise<void> {
    while (this.pending.length > 0 || this.running || this.timer) await new Promise((r) => setTimeout(r, 5));
  }

  private schedule(): void {
    if (this.timer || this.running) return;
    const wait = Math.max(0, this.lastStart + MIN_GAP_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pass();
    }, wait);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    this.running = true;
    this.lastStart = performance.now();
    const batch = this.pending;
    this.pending = [];
    const byLink = new Map<string, Watch[]>();
    for (const w of batch) if (!w.done) byLink.set(w.link, [...(byLink.get(w.link) ?? []), w]);
    try {
      const pids = this.proc.pids();
      for (let i = 0; i < pids.length && byLink.size > 0; i++) {
        if (i % SLICE === SLICE - 1) await new Promise((r) => setImmediate(r));
        const pid = pids[i]!;
        if (this.skip.has(pid)) continue;
        this.checkProcess(pid, byLink);
      }
    } finally {
      this.passes++;
      this.lastPassMs = performance.now() - this.lastStart;
      this.running = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private checkProcess(pid: number, byLink: Map<string, Watch[]>): void {
    let exe: string | null | undefined;
    for (const fd of this.proc.fds(pid) ?? []) {
      const link = this.proc.fdLink(pid, fd);
      const watches = link === null ? undefined : byLink.get(link);
      if (!watches) continue;
      for (const w of watches) {
        if (w.done || w.owner === pid) continue;
        exe ??= this.proc.exe(pid);
        // Sharing within one executable is not ambiguous (fork of the same program).
        if (exe === null || exe === w.binary) continue;
        w.done = true;
        w.onShared({ pid, exe });
      }
    }
  }
}
