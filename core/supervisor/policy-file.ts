import { compilePolicy, formatProblems, loadPolicy, type CompiledPolicy } from '../policy/index.ts';

/**
 * The revision file the gateway writes to the state volume (temp file + rename):
 * `{"version": N, "hash": "sha256:…", "policy": <Policy>}`. The policy goes through the same validation
 * as a YAML file (JSON is YAML), so a bad file never becomes the compiled policy.
 */

export const POLICY_FILE = 'policy.json';
export const POLICY_STATUS_FILE = 'policy-status.json';

export interface ActivePolicy {
  readonly version: number;
  readonly hash: string;
  readonly compiled: CompiledPolicy;
}

export type RevisionParse =
  | { readonly ok: true; readonly revision: ActivePolicy }
  | { readonly ok: false; readonly version: number | null; readonly error: string; readonly torn: boolean };

export function parseRevision(text: string): RevisionParse {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // An incomplete write looks like truncated JSON: worth one more read before calling it failed.
    return { ok: false, version: null, error: `policy.json is not valid JSON (${(err as Error).message})`, torn: true };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail(null, 'policy.json must be a JSON object');
  const { version, hash, policy } = doc as Record<string, unknown>;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) return fail(null, '`version` must be a non-negative integer');
  if (typeof hash !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(hash)) return fail(version, '`hash` must be `sha256:` and 64 hex digits');
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return fail(version, '`policy` must be a policy object');
  const loaded = loadPolicy(JSON.stringify(policy), `policy revision ${version}`);
  if (!loaded.ok) return fail(version, formatProblems(loaded.problems).split('\n').slice(0, 8).join('; '));
  try {
    return { ok: true, revision: { version, hash, compiled: compilePolicy(loaded.policy) } };
  } catch (err) {
    return fail(version, `the policy does not compile: ${String(err)}`);
  }
}

function fail(version: number | null, error: string): RevisionParse {
  return { ok: false, version, error, torn: false };
}
