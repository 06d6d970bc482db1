import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Policy } from './schema.ts';

/** JSON with sorted keys and no undefined members: equal content, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** `sha256:` + hex digest of the canonical serialisation: the revision identity. */
export function policyHash(policy: Policy): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(policy)).digest('hex');
}

/** YAML a user can read and load again (keys in schema order). */
export function policyToYaml(policy: Policy): string {
  return stringify(policy, { lineWidth: 0 });
}
