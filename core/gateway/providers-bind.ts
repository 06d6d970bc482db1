import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.ts';
import type { StateFile } from '../docker/policy-volume.ts';
import { PLACEHOLDER_PREFIX, type PlaceholderEntry } from '../supervisor/l7/placeholders.ts';
import { PROVIDERS_FILE, type ProvidersFile } from '../supervisor/l7/placeholders-file.ts';
import type { ProviderRecord } from './providers.ts';

/** What binding providers to a new sandbox adds to it. */
export interface SandboxProviders {
  /** KEY → placeholder, merged into the agent's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Provider names, for the sandbox's labels. */
  readonly names: readonly string[];
  /** `providers.json` for the supervisor's state volume: written with the archive API only. */
  readonly secretFiles: readonly StateFile[];
}

export const placeholderFor = (key: string, random = randomBytes(12).toString('hex')): string => `${PLACEHOLDER_PREFIX}${key}_${random}`;

/**
 * Placeholders for each credential of `records` (fresh random per sandbox, so one sandbox's
 * placeholders mean nothing to another's supervisor). Two providers, or a provider and `--env`, that
 * set the same variable are refused: the agent could not tell which one it holds.
 */
export function bindProviders(records: readonly ProviderRecord[], userEnv: Readonly<Record<string, string>>): SandboxProviders {
  if (records.length === 0) return { env: {}, names: [], secretFiles: [] };
  const env: Record<string, string> = {};
  const owner = new Map<string, string>();
  const placeholders: PlaceholderEntry[] = [];
  for (const r of records) {
    for (const [key, secret] of Object.entries(r.credentials)) {
      const other = owner.get(key);
      if (other !== undefined) throw new UsageError(`providers \`${other}\` and \`${r.name}\` both set ${key}`, 'bind only one of them');
      if (key in userEnv) throw new UsageError(`--env ${key} clashes with provider \`${r.name}\`, which sets ${key}`, `drop --env ${key}`);
      owner.set(key, r.name);
      const placeholder = placeholderFor(key);
      env[key] = placeholder;
      placeholders.push({ placeholder, provider: r.name, key, secret, hosts: [...r.hosts] });
    }
  }
  const file: ProvidersFile = { version: 1, placeholders };
  return { env, names: records.map((r) => r.name), secretFiles: [{ name: PROVIDERS_FILE, text: JSON.stringify(file) + '\n' }] };
}
