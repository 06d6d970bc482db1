import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The first-seen hashes on the state volume, so a supervisor restart keeps them: a binary swapped while
 * the supervisor was down is still compared with the hash it had when first trusted. Written whole to a
 * temporary file, flushed, then renamed over the old one (a crash leaves the old or the new file, never
 * half of one). The agent cannot reach the state volume; the gateway never writes this file.
 */

export const TOFU_FILE = 'tofu.json';
/** A bound on what one sandbox can make the supervisor remember (distinct executables ever run). */
const MAX_ENTRIES = 10_000;

export interface TofuStore {
  /** Path → first-seen `sha256:<hex>`; empty when there is no (readable, well-formed) file. */
  load(): Map<string, string>;
  save(trusted: ReadonlyMap<string, string>): void;
}

const HASH = /^sha256:[0-9a-f]{64}$/;

export function fileTofuStore(dir: string, onError: (message: string) => void = () => undefined): TofuStore {
  const file = join(dir, TOFU_FILE);
  return {
    load() {
      const out = new Map<string, string>();
      let raw: string;
      try {
        raw = readFileSync(file, 'utf8');
      } catch {
        return out;
      }
      try {
        const doc = JSON.parse(raw) as { version?: unknown; binaries?: Record<string, unknown> };
        for (const [path, hash] of Object.entries(doc.binaries ?? {}))
          if (typeof hash === 'string' && HASH.test(hash) && path.startsWith('/')) out.set(path, hash);
      } catch (err) {
        // Not ours to repair: every binary is trusted anew, and the next save replaces the file.
        onError(`${file} is unreadable (${err instanceof Error ? err.message : String(err)}); first-seen hashes start empty`);
      }
      return out;
    },
    save(trusted) {
      const binaries: Record<string, string> = {};
      let n = 0;
      for (const [path, hash] of trusted) {
        if (n++ >= MAX_ENTRIES) break;
        binaries[path] = hash;
      }
      const tmp = `${file}.tmp`;
      try {
        const fd = openSync(tmp, 'w', 0o600);
        try {
          writeSync(fd, JSON.stringify({ version: 1, binaries }) + '\n');
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, file);
      } catch (err) {
        // Enforcement goes on from memory; only the restart guarantee is lost, and that is reported.
        onError(`cannot save first-seen hashes to ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}

/** A store that keeps nothing (tests, and a supervisor without a state volume). */
export const memoryTofuStore = (): TofuStore => ({ load: () => new Map(), save: () => undefined });
