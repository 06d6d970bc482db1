import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateFileSignature, watchStateFile } from './file-watch.ts';
import { parseRevision, POLICY_FILE, type ActivePolicy } from './policy-file.ts';

/** A load outcome: a new revision in force, or a failure (the previous revision stays in force). */
export type PolicyChange =
  | { readonly status: 'loaded'; readonly revision: ActivePolicy }
  | { readonly status: 'failed'; readonly version: number | null; readonly error: string };

const POLL_MS = 250;
const TORN_RETRY_MS = 100;
const TORN_RETRIES = 3;

/**
 * Watches `<dir>/policy.json`: fs.watch on the directory for speed, a stat poll because watch events are
 * lost on some volumes. Same-hash revisions are not reloaded; torn reads are retried before they fail.
 */
export class PolicyWatcher {
  private signature = '';
  private currentHash: string | null = null;
  private lastFailed = '';
  private tornTries = 0;
  private unwatch: (() => void) | null = null;
  private retry: NodeJS.Timeout | null = null;
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly onChange: (change: PolicyChange) => void,
  ) {
    this.file = join(dir, POLICY_FILE);
  }

  /** Loads synchronously once (so the first decision already has the policy), then watches. */
  start(): void {
    this.check();
    this.unwatch = watchStateFile(this.dir, POLICY_FILE, POLL_MS, () => this.check());
  }

  stop(): void {
    this.unwatch?.();
    if (this.retry) clearTimeout(this.retry);
  }

  /** Reads the file if its stat signature changed (or a torn read asked for another look). */
  check(force = false): void {
    const sig = stateFileSignature(this.file);
    if (sig === null) return; // No file: whatever is in force (nothing at boot: deny all) stays.
    if (sig === this.signature && !force) return;
    this.signature = sig;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      this.signature = '';
      return;
    }
    const parsed = parseRevision(text);
    if (parsed.ok) {
      this.tornTries = 0;
      this.lastFailed = '';
      if (parsed.revision.hash === this.currentHash) return;
      this.currentHash = parsed.revision.hash;
      this.onChange({ status: 'loaded', revision: parsed.revision });
      return;
    }
    if (parsed.torn && this.tornTries < TORN_RETRIES) {
      this.tornTries++;
      if (this.retry) clearTimeout(this.retry);
      this.retry = setTimeout(() => this.check(true), TORN_RETRY_MS);
      this.retry.unref();
      return;
    }
    this.tornTries = 0;
    // A failure is reported once per distinct file, not on every poll.
    const key = `${parsed.version}:${parsed.error}`;
    if (key === this.lastFailed) return;
    this.lastFailed = key;
    this.onChange({ status: 'failed', version: parsed.version, error: parsed.error });
  }
}
