import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import type { ZodIssue } from 'zod';
import { closest, formatPath, type Problem, type RawProblem } from './problems.ts';
import { KNOWN_KEYS, networkRuleSchema, policySchema, type Policy } from './schema.ts';
import { validatePolicy } from './validate.ts';

export type LoadResult =
  | { readonly ok: true; readonly policy: Policy; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

const MAX_BYTES = 4 * 1024 * 1024;

/** Which key list a path's object belongs to, for "did you mean" on unknown keys. */
function keysFor(path: readonly (string | number)[]): readonly string[] {
  const [top, , sub, , leaf] = path;
  if (path.length === 0) return KNOWN_KEYS.policy!;
  if (top === 'network_policies' && path.length === 2) return KNOWN_KEYS.rule!;
  if (top === 'network_policies' && sub === 'endpoints' && path.length === 4) return KNOWN_KEYS.endpoint!;
  if (top === 'network_policies' && (leaf === 'rules' || leaf === 'deny_rules')) return KNOWN_KEYS.l7!;
  return [];
}

function issueToProblems(issue: ZodIssue): RawProblem[] {
  const path = issue.path;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => {
        const near = closest(k, keysFor(path));
        return {
          severity: 'error',
          path: [...path, k],
          atKey: true,
          message: near ? `unknown key \`${k}\`, did you mean \`${near}\`?` : `unknown key \`${k}\``,
          suggestion: near ? `rename it to \`${near}\`` : `remove it; known keys here: ${keysFor(path).join(', ') || 'see the policy reference'}`,
        };
      });
    case 'invalid_enum_value':
      return [{
        severity: 'error',
        path,
        message: `\`${String(issue.received)}\` is not one of ${issue.options.map((o) => `\`${String(o)}\``).join(', ')}`,
        ...(typeof issue.received === 'string' && closest(issue.received, issue.options.map(String))
          ? { suggestion: `did you mean \`${closest(issue.received, issue.options.map(String))}\`?` }
          : {}),
      }];
    case 'invalid_literal':
      return [{ severity: 'error', path, message: `must be ${JSON.stringify(issue.expected)}`, suggestion: 'write `version: 1` at the top' }];
    case 'invalid_type': {
      if (issue.received === 'undefined') return [{ severity: 'error', path, message: `\`${String(path.at(-1))}\` is required` }];
      const hint = issue.expected === 'string' && issue.received === 'number' ? { suggestion: 'quote it, e.g. "1500"' } : {};
      return [{ severity: 'error', path, message: `expected ${issue.expected}, found ${issue.received}`, ...hint }];
    }
    case 'invalid_union':
      return [{ severity: 'error', path, message: 'expected a glob string or `{ any: [globs] }`' }];
    default:
      return [{ severity: 'error', path, message: issue.message.toLowerCase() }];
  }
}

/** The YAML node a path points at (the key node for unknown keys); the deepest existing one otherwise. */
function locate(doc: Document, path: readonly (string | number)[], atKey: boolean): Node | null {
  let node: unknown = doc.contents;
  let last: Node | null = (doc.contents) ?? null;
  let lastKey: Node | null = null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      // A missing key is reported where its parent is named.
      if (!pair) return lastKey ?? last;
      if (atKey && i === path.length - 1 && isScalar(pair.key)) return pair.key;
      node = pair.value;
      if (isScalar(pair.key)) lastKey = pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else break;
    if (node && typeof node === 'object' && 'range' in node) last = node as Node;
  }
  return last;
}

function position(doc: Document, lc: LineCounter, raw: RawProblem, file: string): Problem {
  const node = locate(doc, raw.path, raw.atKey === true);
  const pos = node?.range ? lc.linePos(node.range[0]) : { line: 0, col: 0 };
  return {
    severity: raw.severity,
    file,
    line: pos.line,
    column: pos.col,
    path: formatPath(raw.path),
    message: raw.message,
    ...(raw.suggestion === undefined ? {} : { suggestion: raw.suggestion }),
  };
}

/** Drop keys the schema rejected, so the rest of the document can still be checked in this pass. */
function withoutUnknownKeys(data: unknown, issues: readonly ZodIssue[]): unknown {
  const copy = structuredClone(data);
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    let target: unknown = copy;
    for (const seg of issue.path) target = (target as Record<string | number, unknown> | undefined)?.[seg];
    if (typeof target === 'object' && target !== null) for (const k of issue.keys) delete (target as Record<string, unknown>)[k];
  }
  return copy;
}

/** Not worth saying "`endpoints` is required" next to "unknown key `endpoint`, did you mean `endpoints`?". */
function dropShadowedRequired(problems: RawProblem[]): RawProblem[] {
  const suggested = new Set(
    problems.filter((p) => p.atKey && p.suggestion?.startsWith('rename')).map((p) => `${formatPath(p.path.slice(0, -1))}|${/`([^`]+)`$/.exec(p.suggestion!)?.[1]}`),
  );
  return problems.filter((p) => !(p.message.endsWith('is required') && suggested.has(`${formatPath(p.path.slice(0, -1))}|${String(p.path.at(-1))}`)));
}

/** The sections that do have the right shape, so their semantic problems are reported in the same pass. */
function wellFormedParts(data: unknown): Policy {
  const out: Policy = { version: 1 };
  if (typeof data !== 'object' || data === null) return out;
  const d = data as Record<string, unknown>;
  const fs = policySchema.shape.filesystem_policy.safeParse(d.filesystem_policy);
  if (fs.success) out.filesystem_policy = fs.data;
  const proc = policySchema.shape.process.safeParse(d.process);
  if (proc.success) out.process = proc.data;
  if (typeof d.network_policies === 'object' && d.network_policies !== null) {
    out.network_policies = {};
    for (const [k, v] of Object.entries(d.network_policies)) {
      const r = networkRuleSchema.safeParse(v);
      if (r.success) out.network_policies[k] = r.data;
    }
  }
  return out;
}

function salvage(data: unknown, issues: readonly ZodIssue[]): Policy {
  const stripped = withoutUnknownKeys(data, issues);
  const again = policySchema.safeParse(stripped);
  return again.success ? again.data : wellFormedParts(stripped);
}

function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.column - b.column;
}

/**
 * Parse and validate a policy document. Never throws; on any error no policy is returned at all,
 * so a caller cannot end up with half of a file.
 */
export function loadPolicy(text: unknown, file = '<policy>'): LoadResult {
  const fail = (message: string, suggestion?: string): LoadResult => ({
    ok: false,
    problems: [{ severity: 'error', file, line: 0, column: 0, path: '(document)', message, ...(suggestion ? { suggestion } : {}) }],
  });
  try {
    if (typeof text !== 'string') return fail('policy text is not a string');
    if (text.length > MAX_BYTES) return fail('policy file is larger than 4 MiB');
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
    const yamlErrors = doc.errors;
    if (yamlErrors.length > 0)
      return {
        ok: false,
        problems: yamlErrors.map((e) => ({
          severity: 'error' as const,
          file,
          line: e.linePos?.[0].line ?? 0,
          column: e.linePos?.[0].col ?? 0,
          path: '(yaml)',
          message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
        })),
      };
    const data: unknown = doc.toJS({ maxAliasCount: 100 });
    if (data === null || data === undefined) return fail('the policy file is empty', 'start with `version: 1`');
    const parsed = policySchema.safeParse(data);
    const raw: RawProblem[] = parsed.success
      ? validatePolicy(parsed.data)
      : [...dropShadowedRequired(parsed.error.issues.flatMap(issueToProblems)), ...validatePolicy(salvage(data, parsed.error.issues))];
    const problems = raw.map((r) => position(doc, lc, r, file)).sort(byPosition);
    const errors = problems.filter((p) => p.severity === 'error');
    if (!parsed.success || errors.length > 0) return { ok: false, problems };
    return { ok: true, policy: parsed.data, warnings: problems };
  } catch (err) {
    return fail(`could not read the policy: ${err instanceof Error ? err.message : String(err)}`);
  }
}
