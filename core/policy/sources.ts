import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../errors.ts';

/** The one part of core/policy that touches the disk: finding shipped presets and policy files. */

export const PRESET_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'policies');

export interface PolicySource {
  /** Preset name when one was named, else null. */
  readonly preset: string | null;
  readonly path: string;
  readonly text: string;
}

export async function listPresets(): Promise<string[]> {
  const files = await readdir(PRESET_DIR).catch(() => []);
  return files.filter((f) => f.endsWith('.yaml')).map((f) => basename(f, '.yaml')).sort();
}

/** A bare name (`npm`, `default`) is a preset in `policies/<name>.yaml`; anything path-like is a file. */
export async function resolvePolicySource(nameOrFile: string): Promise<PolicySource> {
  const isName = /^[a-z0-9][a-z0-9_-]*$/i.test(nameOrFile);
  if (isName) {
    const path = join(PRESET_DIR, `${nameOrFile}.yaml`);
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text !== null) return { preset: nameOrFile, path, text };
  }
  const path = resolve(nameOrFile);
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text !== null) return { preset: null, path, text };
  const presets = await listPresets();
  throw new NotFoundError(`no policy file or preset \`${nameOrFile}\``, {
    hint: `presets: ${presets.join(', ') || '(none)'}; or give a path to a YAML file`,
  });
}
