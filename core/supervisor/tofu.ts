import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { memoryTofuStore, type TofuStore } from './tofu-store.ts';

/**
 * Trust on first use for executables: the first SHA-256 seen at a path is its identity. The file is read
 * through `/proc/<pid>/exe`, so what is hashed is what runs even if the path was swapped since. A stat
 * fingerprint avoids re-hashing; a changed fingerprint re-hashes, and a changed hash is reported as tampered.
 */

export interface Fingerprint {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly dev: number;
  readonly ino: number;
}

export type TofuResult =
  | { readonly ok: true; readonly hash: string }
  | { readonly ok: false; readonly hash: string; readonly trusted: string; readonly reason: string };

export interface TofuIo {
  stat(file: string): Fingerprint;
  /** Streamed, so a first use of a large binary does not stall every other connection. */
  hash(file: string): Promise<string>;
}

export const realIo: TofuIo = {
  stat: (file) => {
    const s = statSync(file);
    return { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, dev: s.dev, ino: s.ino };
  },
  hash: (file) =>
    new Promise((resolve, reject) => {
      const h = createHash('sha256');
      createReadStream(file, { highWaterMark: 1 << 20 })
        .on('data', (c) => h.update(c))
        .on('error', reject)
        .on('end', () => resolve(`sha256:${h.digest('hex')}`));
    }),
};

const same = (a: Fingerprint, b: Fingerprint): boolean =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.dev === b.dev && a.ino === b.ino;

export class TofuCache {
  private readonly entries = new Map<string, { fp: Fingerprint; hash: string }>();
  /** First-seen hash per path: loaded from the store, saved whenever a path is trusted for the first time. */
  private readonly trusted: Map<string, string>;
  /** How many times a file was actually hashed (for tests and the benchmark). */
  hashes = 0;

  constructor(
    private readonly io: TofuIo = realIo,
    private readonly store: TofuStore = memoryTofuStore(),
  ) {
    // Persisted hashes have no fingerprint here: the first use after a restart hashes and compares.
    this.trusted = store.load();
  }

  /**
   * The answer without hashing, when `via` still has the fingerprint of the last hash of `path`;
   * undefined when it must be hashed (`check`). Throws when `via` cannot be read.
   */
  checkKnown(path: string, via: string): TofuResult | undefined {
    const known = this.entries.get(path);
    if (known && same(known.fp, this.io.stat(via))) return result(path, known.hash, this.trusted.get(path)!);
    return undefined;
  }

  /** `path` is the kernel-resolved executable path; `via` is the file to read (`/proc/<pid>/exe`). */
  async check(path: string, via: string): Promise<TofuResult> {
    const known = this.checkKnown(path, via);
    if (known) return known;
    // Taken before hashing: the fingerprint stored is never newer than what was hashed.
    const fp = this.io.stat(via);
    const hash = await this.io.hash(via);
    this.hashes++;
    this.entries.set(path, { fp, hash });
    // Another lookup may have hashed the same path meanwhile: its first hash stays the trusted one.
    let trusted = this.trusted.get(path);
    if (trusted === undefined) {
      trusted = hash;
      this.trusted.set(path, hash);
      this.store.save(this.trusted);
    }
    return result(path, hash, trusted);
  }
}

function result(path: string, hash: string, trusted: string): TofuResult {
  if (hash === trusted) return { ok: true, hash };
  return { ok: false, hash, trusted, reason: `\`${path}\` changed since first use (was ${trusted.slice(0, 19)}…, now ${hash.slice(0, 19)}…)` };
}
