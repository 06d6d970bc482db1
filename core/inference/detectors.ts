/**
 * Content detectors: secrets and personal data in request text. Each returns spans so a rule can
 * redact exactly the match. Regexes start with a literal or a narrow class where possible (V8 skips
 * ahead on those), and checksums (Luhn, mod-97) cut false positives on numbers.
 */

import { Taken } from './spans.ts';

export type FindingCategory = 'secret' | 'personal' | 'custom';

export interface Finding {
  readonly kind: string;
  readonly category: FindingCategory;
  readonly label: string;
  /** UTF-16 offsets into the scanned string. */
  readonly start: number;
  readonly end: number;
}

export interface CustomPattern {
  readonly name: string;
  readonly regex: string;
  readonly label?: string;
  /** Case-insensitive matching. */
  readonly ignoreCase?: boolean;
}

interface Detector {
  readonly kind: string;
  readonly category: FindingCategory;
  readonly label: string;
  readonly re: RegExp;
  /** Capture group whose span is the finding (default: the whole match). */
  readonly group?: number;
  readonly valid?: (match: string) => boolean;
}

const mixedCase = (s: string): boolean => /[0-9]/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s);

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, alt = false; i >= 0; i--, alt = !alt) {
    let d = digits.charCodeAt(i) - 48;
    if (alt) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616: move the first four characters to the end, letters as 10..35, the number mod 97 is 1. */
export function ibanValid(raw: string): boolean {
  const s = raw.replace(/ /g, '');
  if (s.length < 15 || s.length > 34) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? code - 55 : code - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

function cardValid(raw: string): boolean {
  const digits = raw.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19 || /^(\d)\1+$/.test(digits)) return false;
  return luhn(digits);
}

// Order is priority: an earlier detector's span wins over a later overlapping one.
const BUILTIN: readonly Detector[] = [
  { kind: 'private_key', category: 'secret', label: 'private key block', re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g },
  { kind: 'aws_access_key_id', category: 'secret', label: 'AWS access key id', re: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  {
    kind: 'aws_secret_access_key',
    category: 'secret',
    label: 'AWS secret access key',
    re: /(?:aws|secret)[\w.-]{0,24}["']?\s{0,3}[:=]\s{0,3}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
  },
  { kind: 'github_token', category: 'secret', label: 'GitHub token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'anthropic_key', category: 'secret', label: 'Anthropic API key', re: /\bsk-ant-[a-z]{2,8}\d{2}-[A-Za-z0-9_-]{20,}/g },
  { kind: 'openai_key', category: 'secret', label: 'OpenAI API key', re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, valid: mixedCase },
  { kind: 'slack_token', category: 'secret', label: 'Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'slack_webhook', category: 'secret', label: 'Slack webhook URL', re: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{20,}/g },
  { kind: 'jwt', category: 'secret', label: 'JSON Web Token', re: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/g },
  { kind: 'credit_card', category: 'personal', label: 'payment card number', re: /\b\d(?:[ -]?\d){12,18}\b/g, valid: cardValid },
  { kind: 'iban', category: 'personal', label: 'IBAN', re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g, valid: ibanValid },
  { kind: 'us_ssn', category: 'personal', label: 'US social security number', re: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  {
    kind: 'phone',
    category: 'personal',
    label: 'phone number',
    re: /\+\d{1,3}(?:[ .-]?\d{1,4}){2,6}\b|(?:\(\d{3}\) ?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b/g,
    valid: (m) => {
      const digits = m.replace(/\D/g, '').length;
      return digits >= 8 && digits <= 15;
    },
  },
];

// Characters of key-like tokens (base64, base64url, hex); a lookup table beats a regex here by ~5x.
const TOKEN_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-') TOKEN_CHAR[c.charCodeAt(0)] = 1;
const TOKEN_MIN = 20;
const TOKEN_MAX = 512;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const counts = new Int32Array(128);

/** A random-looking token (ASCII only): three character classes and close to the most entropy its length allows. */
function highEntropy(text: string, start: number, end: number): boolean {
  let classes = 0;
  counts.fill(0);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    counts[c]!++;
    if (c >= 97 && c <= 122) classes |= 1;
    else if (c >= 65 && c <= 90) classes |= 2;
    else if (c >= 48 && c <= 57) classes |= 4;
  }
  if (classes !== 7) return false;
  const len = end - start;
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const n = counts[c]!;
    if (n === 0) continue;
    const p = n / len;
    h -= p * Math.log2(p);
  }
  return h >= 0.8 * Math.log2(Math.min(len, 64));
}

/** Runs of token characters between 20 and 512 long (longer ones are blobs, not keys) that look random. */
function findHighEntropy(text: string, out: Finding[], taken: Taken): void {
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0;
    if (c < 128 && TOKEN_CHAR[c] === 1) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start >= TOKEN_MIN && i - start <= TOKEN_MAX) {
      // A token partly claimed by a specific detector is judged on what is left of it, so redacting
      // the specific match cannot uncover a random-looking remainder nobody reported.
      for (const [s, e] of taken.gaps(start, i)) {
        if (e - s >= TOKEN_MIN && highEntropy(text, s, e) && taken.claim(s, e)) out.push({ kind: 'high_entropy', category: 'secret', label: 'high-entropy string', start: s, end: e });
      }
    }
    start = -1;
  }
}

/** Finds the local part before an `@` and the dotted domain after it, without regex backtracking. */
function findEmails(text: string, out: Finding[], taken: Taken): void {
  const local = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
  const domain = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let s = at;
    while (s > 0 && at - s < 64 && local(text.charCodeAt(s - 1))) s--;
    let e = at + 1;
    while (e < text.length && e - at < 255 && domain(text.charCodeAt(e))) e++;
    while (e > at + 1 && text.charCodeAt(e - 1) === 46) e--;
    if (s === at || e === at + 1) continue;
    // Back off to the last label that can be a top-level domain (`a@b.io.x7` is `a@b.io` and `.x7`).
    const labels = text.slice(at + 1, e).split('.');
    while (labels.length > 1 && !/^[A-Za-z]{2,}$/.test(labels[labels.length - 1]!)) labels.pop();
    if (labels.length < 2 || labels.some((l) => l === '')) continue;
    e = at + 1 + labels.join('.').length;
    if (taken.claim(s, e)) out.push({ kind: 'email', category: 'personal', label: 'email address', start: s, end: e });
  }
}

function runDetector(d: Detector, text: string, out: Finding[], taken: Taken): void {
  d.re.lastIndex = 0;
  for (let m = d.re.exec(text); m !== null; m = d.re.exec(text)) {
    if (m[0].length === 0) {
      d.re.lastIndex++;
      continue;
    }
    const g = d.group === undefined ? m[0] : m[d.group];
    if (g === undefined) continue;
    const start = d.group === undefined ? m.index : m.index + m[0].lastIndexOf(g);
    if (d.valid && !d.valid(g)) continue;
    if (taken.claim(start, start + g.length)) out.push({ kind: d.kind, category: d.category, label: d.label, start, end: start + g.length });
  }
}

export interface Scanner {
  /** Findings in `text`, sorted by start. */
  scan(text: string): Finding[];
}

/** Built-in detectors plus user patterns (which take priority: the operator named them on purpose). */
export function createScanner(custom: readonly CustomPattern[] = []): Scanner {
  const user: Detector[] = custom.map((p) => ({
    kind: p.name,
    category: 'custom',
    label: p.label ?? p.name,
    re: new RegExp(p.regex, p.ignoreCase ? 'gi' : 'g'),
  }));
  return {
    scan(text: string): Finding[] {
      const out: Finding[] = [];
      const taken = new Taken();
      for (const d of user) runDetector(d, text, out, taken);
      for (const d of BUILTIN) runDetector(d, text, out, taken);
      findEmails(text, out, taken);
      findHighEntropy(text, out, taken);
      return out.sort((a, b) => a.start - b.start);
    },
  };
}

export const BUILTIN_KINDS: readonly string[] = [...BUILTIN.map((d) => d.kind), 'email', 'high_entropy'];
export const BUILTIN_CATEGORY: Readonly<Record<string, FindingCategory>> = Object.fromEntries([
  ...BUILTIN.map((d) => [d.kind, d.category] as const),
  ['email', 'personal'],
  ['high_entropy', 'secret'],
]);

/** Kind → count, for events and deny answers (never the matched text). */
export function countKinds(findings: readonly Pick<Finding, 'kind'>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[f.kind] = (out[f.kind] ?? 0) + 1;
  return out;
}
