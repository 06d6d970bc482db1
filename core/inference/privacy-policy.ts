import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { closest, formatPath, type Problem, type RawProblem } from '../policy/problems.ts';
import { BUILTIN_CATEGORY, BUILTIN_KINDS, createScanner, type CustomPattern, type Finding, type Scanner } from './detectors.ts';
import { TIERS, type Tier } from './types.ts';

/**
 * The privacy policy: rules that map findings to a minimum tier or to an action, e.g.
 *
 *   version: 1
 *   patterns:                       # user-defined detectors
 *     - { name: codename, regex: 'PROJECT-[A-Z]{4}', label: internal codename }
 *   rules:                          # the first rule that matches a finding decides for it
 *     - { match: private_key, action: deny }
 *     - { match: credit_card, action: redact }
 *     - { match: secret, tier: local }
 *     - { match: [personal, codename], tier: private }
 *
 * `match` names a kind (`aws_access_key_id`), a category (`secret`, `personal`, `custom`), a label, or `*`.
 */

export type RuleOutcome = { readonly tier: Tier } | { readonly action: 'redact' | 'deny' };

export interface PrivacyRule {
  readonly match: readonly string[];
  readonly outcome: RuleOutcome;
  /** `rules[2]` or the rule's `name`: how explanations refer to it. */
  readonly name: string;
}

export interface PrivacyPolicy {
  readonly patterns: readonly CustomPattern[];
  readonly rules: readonly PrivacyRule[];
  readonly scanner: Scanner;
}

export type PrivacyLoad = { readonly ok: true; readonly policy: PrivacyPolicy; readonly warnings: readonly Problem[] } | { readonly ok: false; readonly problems: readonly Problem[] };

const TOP_KEYS = ['version', 'patterns', 'rules'];
const PATTERN_KEYS = ['name', 'regex', 'label', 'ignore_case'];
const RULE_KEYS = ['name', 'match', 'tier', 'action'];
const CATEGORIES = ['secret', 'personal', 'custom', '*'];

/** With no policy set: anything that looks like a secret stays on a local backend. */
export const DEFAULT_POLICY_TEXT = 'version: 1\nrules:\n  - { match: secret, tier: local }\n';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownKeys(o: Obj, known: readonly string[], path: (string | number)[], out: RawProblem[]): void {
  for (const k of Object.keys(o)) {
    if (known.includes(k)) continue;
    const near = closest(k, known);
    out.push({ severity: 'error', path: [...path, k], atKey: true, message: near ? `unknown key \`${k}\`, did you mean \`${near}\`?` : `unknown key \`${k}\``, suggestion: `known keys here: ${known.join(', ')}` });
  }
}

function checkPatterns(raw: unknown, out: RawProblem[]): CustomPattern[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return (out.push({ severity: 'error', path: ['patterns'], message: 'expected a list of patterns' }), []);
  const patterns: CustomPattern[] = [];
  raw.forEach((p: unknown, i) => {
    const path = ['patterns', i];
    if (!isObj(p)) return void out.push({ severity: 'error', path, message: 'expected `{ name, regex, label }`' });
    unknownKeys(p, PATTERN_KEYS, path, out);
    const { name, regex, label, ignore_case } = p;
    if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(name))
      return void out.push({ severity: 'error', path: [...path, 'name'], message: '`name` must be lower-case letters, digits and `_`, starting with a letter' });
    if (BUILTIN_KINDS.includes(name) || CATEGORIES.includes(name))
      return void out.push({ severity: 'error', path: [...path, 'name'], message: `\`${name}\` is a built-in detector or category`, suggestion: 'pick another name' });
    if (typeof regex !== 'string' || regex === '') return void out.push({ severity: 'error', path: [...path, 'regex'], message: '`regex` is required (a JavaScript regular expression)' });
    try {
      if (new RegExp(regex).test('')) return void out.push({ severity: 'error', path: [...path, 'regex'], message: 'the regex matches the empty string' });
    } catch (err) {
      return void out.push({ severity: 'error', path: [...path, 'regex'], message: `invalid regex: ${(err as Error).message}` });
    }
    if (label !== undefined && typeof label !== 'string') return void out.push({ severity: 'error', path: [...path, 'label'], message: 'expected a string' });
    if (ignore_case !== undefined && typeof ignore_case !== 'boolean') return void out.push({ severity: 'error', path: [...path, 'ignore_case'], message: 'expected true or false' });
    patterns.push({ name, regex, ...(label === undefined ? {} : { label }), ...(ignore_case === true ? { ignoreCase: true } : {}) });
  });
  return patterns;
}

function checkRules(raw: unknown, names: readonly string[], out: RawProblem[]): PrivacyRule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return (out.push({ severity: 'error', path: ['rules'], message: 'expected a list of rules' }), []);
  const vocabulary = [...CATEGORIES, ...BUILTIN_KINDS, ...names];
  const rules: PrivacyRule[] = [];
  raw.forEach((r: unknown, i) => {
    const path = ['rules', i];
    if (!isObj(r)) return void out.push({ severity: 'error', path, message: 'expected `{ match, tier }` or `{ match, action }`' });
    unknownKeys(r, RULE_KEYS, path, out);
    const match = typeof r.match === 'string' ? [r.match] : r.match;
    if (!Array.isArray(match) || match.length === 0 || !match.every((m) => typeof m === 'string'))
      return void out.push({ severity: 'error', path: [...path, 'match'], message: '`match` is required: a kind, category or label, or a list of them' });
    (match).forEach((m, j) => {
      // Labels of user patterns are free text; a word that is none of the known names is most likely a typo.
      if (!vocabulary.includes(m) && !/\s/.test(m)) {
        const near = closest(m, vocabulary);
        out.push({ severity: 'warning', path: [...path, 'match', ...(typeof r.match === 'string' ? [] : [j])], message: `\`${m}\` is no known kind or category${near ? `, did you mean \`${near}\`?` : ''}`, suggestion: `kinds: ${BUILTIN_KINDS.join(', ')}` });
      }
    });
    const { tier, action } = r;
    if ((tier === undefined) === (action === undefined))
      return void out.push({ severity: 'error', path, message: 'a rule needs exactly one of `tier` (local, private, public) or `action` (redact, deny)' });
    let outcome: RuleOutcome;
    if (tier !== undefined) {
      if (typeof tier !== 'string' || !TIERS.includes(tier as Tier)) return void out.push({ severity: 'error', path: [...path, 'tier'], message: `\`${JSON.stringify(tier)}\` is not one of \`local\`, \`private\`, \`public\`` });
      outcome = { tier: tier as Tier };
    } else {
      if (action !== 'redact' && action !== 'deny') return void out.push({ severity: 'error', path: [...path, 'action'], message: `\`${String(action)}\` is not one of \`redact\`, \`deny\`` });
      outcome = { action };
    }
    const name = typeof r.name === 'string' ? r.name : `rules[${i}]`;
    rules.push({ match: match, outcome, name });
  });
  return rules;
}

/** The YAML node a path points at, or the deepest existing one. */
function locate(doc: Document, path: readonly (string | number)[], atKey: boolean): Node | null {
  let node: unknown = doc.contents;
  let last: Node | null = doc.contents ?? null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return last;
      if (atKey && i === path.length - 1 && isScalar(pair.key)) return pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else break;
    if (node && typeof node === 'object' && 'range' in node) last = node as Node;
  }
  return last;
}

/** Parses and validates a privacy policy (YAML or JSON); every problem is positioned. Never throws. */
export function loadPrivacyPolicy(text: string, file = '<privacy policy>'): PrivacyLoad {
  const problem = (message: string, line = 0, column = 0, path = '(document)'): Problem => ({ severity: 'error', file, line, column, path, message });
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0)
    return { ok: false, problems: doc.errors.map((e) => problem(e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), e.linePos?.[0].line ?? 0, e.linePos?.[0].col ?? 0, '(yaml)')) };
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isObj(data)) return { ok: false, problems: [problem('expected a mapping with `version: 1` and `rules`')] };
  const raw: RawProblem[] = [];
  unknownKeys(data, TOP_KEYS, [], raw);
  if (data.version !== 1) raw.push({ severity: 'error', path: ['version'], message: 'must be 1', suggestion: 'write `version: 1` at the top' });
  const patterns = checkPatterns(data.patterns, raw);
  const rules = checkRules(data.rules, patterns.map((p) => p.name).concat(patterns.flatMap((p) => (p.label ? [p.label] : []))), raw);
  const problems = raw.map((r): Problem => {
    const node = locate(doc, r.path, r.atKey === true);
    const pos = node?.range ? lc.linePos(node.range[0]) : { line: 0, col: 0 };
    return { severity: r.severity, file, line: pos.line, column: pos.col, path: formatPath(r.path), message: r.message, ...(r.suggestion ? { suggestion: r.suggestion } : {}) };
  });
  if (problems.some((p) => p.severity === 'error')) return { ok: false, problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) };
  return { ok: true, policy: { patterns, rules, scanner: createScanner(patterns) }, warnings: problems };
}

/** A finding with where it was found (a JSON path into the request body). */
export interface LocatedFinding extends Finding {
  readonly path: readonly (string | number)[];
}

export interface PrivacyVerdict {
  /** Findings a `deny` rule matched: the request must not leave. */
  readonly denied: readonly LocatedFinding[];
  readonly redact: readonly LocatedFinding[];
  /** The most private tier any rule asked for (null: no constraint). */
  readonly minTier: Tier | null;
  /** Which rule decided for each finding (null: none matched). */
  readonly decided: readonly { readonly finding: LocatedFinding; readonly rule: PrivacyRule | null }[];
}

function ruleMatches(rule: PrivacyRule, f: Finding): boolean {
  const category = BUILTIN_CATEGORY[f.kind] ?? f.category;
  return rule.match.some((m) => m === '*' || m === f.kind || m === category || m === f.label);
}

/** Applies the first matching rule to each finding. */
export function evaluatePrivacy(policy: Pick<PrivacyPolicy, 'rules'>, findings: readonly LocatedFinding[]): PrivacyVerdict {
  const denied: LocatedFinding[] = [];
  const redact: LocatedFinding[] = [];
  const decided: { finding: LocatedFinding; rule: PrivacyRule | null }[] = [];
  let minTier: Tier | null = null;
  for (const f of findings) {
    const rule = policy.rules.find((r) => ruleMatches(r, f)) ?? null;
    decided.push({ finding: f, rule });
    if (!rule) continue;
    const o = rule.outcome;
    if ('tier' in o) minTier = minTier === null || TIERS.indexOf(o.tier) < TIERS.indexOf(minTier) ? o.tier : minTier;
    else if (o.action === 'deny') denied.push(f);
    else redact.push(f);
  }
  return { denied, redact, minTier, decided };
}
