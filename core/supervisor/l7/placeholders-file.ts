import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateFileSignature, watchStateFile } from '../file-watch.ts';
import { PlaceholderTable, PLACEHOLDER_PREFIX, type PlaceholderEntry } from './placeholders.ts';

/**
 * `providers.json` on the state volume (root, 0600; written by the gateway with the archive API before
 * the supervisor starts, never through an environment variable): placeholder → secret and hosts.
 * Rewritten by the gateway when a bound provider is replaced or deleted (core/gateway/providers-deliver.ts).
 */
export const PROVIDERS_FILE = 'providers.json';

export interface ProvidersFile {
  readonly version: 1;
  readonly placeholders: readonly PlaceholderEntry[];
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** The checked table; throws (naming fields, never values) on anything malformed. */
export function parseProvidersFile(text: string): PlaceholderTable {
  let doc: Partial<ProvidersFile>;
  try {
    doc = JSON.parse(text) as Partial<ProvidersFile>;
  } catch {
    // Node's message quotes the text around the error, which may be a secret.
    throw new Error(`${PROVIDERS_FILE} is not valid JSON`);
  }
  if (doc.version !== 1 || !Array.isArray(doc.placeholders)) throw new Error(`${PROVIDERS_FILE}: expected {"version":1,"placeholders":[…]}`);
  const entries = doc.placeholders.map((e: Partial<PlaceholderEntry>, i) => {
    const ok =
      typeof e.placeholder === 'string' &&
      e.placeholder.startsWith(PLACEHOLDER_PREFIX) &&
      e.placeholder.length > PLACEHOLDER_PREFIX.length + 8 &&
      typeof e.provider === 'string' &&
      typeof e.key === 'string' &&
      typeof e.secret === 'string' &&
      e.secret !== '' &&
      isStrings(e.hosts) &&
      e.hosts.length > 0;
    if (!ok) throw new Error(`${PROVIDERS_FILE}: placeholder entry ${i} is malformed`);
    return e as PlaceholderEntry;
  });
  return new PlaceholderTable(entries);
}

/** The sandbox's placeholders, or null when it has no providers (no file). A broken file throws: fail closed. */
export function loadPlaceholders(stateDir: string): PlaceholderTable | null {
  let text: string;
  try {
    text = readFileSync(join(stateDir, PROVIDERS_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parseProvidersFile(text);
}

/** Names only, for the supervisor's `providers` line. */
export function describeTable(table: PlaceholderTable): { providers: string[]; keys: string[] } {
  return {
    providers: [...new Set(table.entries.map((e) => e.provider))].sort(),
    keys: table.entries.map((e) => `${e.provider}/${e.key}`).sort(),
  };
}

export type ProvidersChangeLine =
  | { readonly status: 'reloaded'; readonly providers: string[]; readonly keys: string[] }
  | { readonly status: 'failed'; readonly error: string };

const POLL_MS = 500;

/**
 * Follows `providers.json` into `table` (fs.watch plus a stat poll). Text that is not JSON is a write
 * caught half-way and is read again at the next poll; a malformed or missing file empties the table
 * (every placeholder refused: fail closed). Returns the function that stops watching.
 */
export function watchPlaceholders(stateDir: string, table: PlaceholderTable, onChange: (line: ProvidersChangeLine) => void): () => void {
  const file = join(stateDir, PROVIDERS_FILE);
  let seen = stateFileSignature(file);
  const check = (): void => {
    const sig = stateFileSignature(file);
    if (sig === seen) return;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
      JSON.parse(text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
    }
    seen = sig;
    try {
      if (text === '') throw new Error(`${PROVIDERS_FILE} was removed`);
      table.replace(parseProvidersFile(text).entries);
      onChange({ status: 'reloaded', ...describeTable(table) });
    } catch (err) {
      table.replace([]);
      onChange({ status: 'failed', error: `${err instanceof Error ? err.message : String(err)}: every placeholder is refused` });
    }
  };
  return watchStateFile(stateDir, PROVIDERS_FILE, POLL_MS, check);
}
