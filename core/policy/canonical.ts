/**
 * Request path canonicalization: what a rule is matched against must be what the server will see.
 * Percent-decoded, `;params` stripped, `.`/`..` resolved, empty segments dropped. Anything ambiguous
 * (`..` above the root, an encoded `/` or `\`, control bytes, bad escapes, invalid UTF-8) is rejected.
 */

export type CanonicalPath =
  | { readonly ok: true; readonly path: string; readonly segments: readonly string[]; readonly encodedSlash: boolean }
  | { readonly ok: false; readonly reason: string };

export interface CanonicalizeOptions {
  /** Keep `%2F` inside a segment (as `%2F`) instead of rejecting the path. */
  readonly allowEncodedSlash?: boolean;
}

const MAX_PATH = 8192;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decode one segment; a string on success, or an error sentence. */
function decodeSegment(raw: string, allowEncodedSlash: boolean): { value: string; slash: boolean } | string {
  if (!raw.includes('%')) return { value: raw, slash: false };
  const bytes: number[] = [];
  let slash = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c !== 37) {
      if (c < 0x80) bytes.push(c);
      else {
        const cp = raw.codePointAt(i)!;
        bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
        if (cp > 0xffff) i++;
      }
      continue;
    }
    const hi = hexVal(raw.charCodeAt(i + 1));
    const lo = hexVal(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return `malformed percent-escape \`${raw.slice(i, i + 3)}\``;
    const b = hi * 16 + lo;
    if (b === 0x2f) {
      if (!allowEncodedSlash) return 'encoded `/` (%2F) is not allowed in the path';
      slash = true;
      bytes.push(0x25, 0x32, 0x46);
    } else bytes.push(b);
    i += 2;
  }
  try {
    return { value: utf8.decode(new Uint8Array(bytes)), slash };
  } catch {
    return 'the decoded path is not valid UTF-8';
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function canonicalizePath(raw: unknown, options: CanonicalizeOptions = {}): CanonicalPath {
  if (typeof raw !== 'string') return { ok: false, reason: 'the path is not a string' };
  if (raw.length > MAX_PATH) return { ok: false, reason: `the path is longer than ${MAX_PATH} characters` };
  const q = raw.search(/[?#]/);
  const pathPart = q < 0 ? raw : raw.slice(0, q);
  if (!pathPart.startsWith('/')) return { ok: false, reason: 'the path must start with `/`' };
  if (/\p{Surrogate}/u.test(pathPart)) return { ok: false, reason: 'the path is not valid Unicode' };
  const out: string[] = [];
  let encodedSlash = false;
  for (const rawSeg of pathPart.split('/')) {
    const semi = rawSeg.indexOf(';');
    const decoded = decodeSegment(semi < 0 ? rawSeg : rawSeg.slice(0, semi), options.allowEncodedSlash === true);
    if (typeof decoded === 'string') return { ok: false, reason: decoded };
    const seg = decoded.value;
    encodedSlash ||= decoded.slash;
    if (CONTROL.test(seg)) return { ok: false, reason: 'the path contains a control character' };
    if (seg.includes('\\')) return { ok: false, reason: 'the path contains a backslash' };
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return { ok: false, reason: 'the path climbs above the root with `..`' };
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return { ok: true, path: '/' + out.join('/'), segments: out, encodedSlash };
}

/** Query string → decoded key → values. Null when an escape is malformed (the request is then denied). */
export function parseQuery(raw: unknown): Map<string, string[]> | null {
  const map = new Map<string, string[]>();
  if (typeof raw !== 'string' || raw === '') return map;
  for (const pair of (raw.startsWith('?') ? raw.slice(1) : raw).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    try {
      const k = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
      const list = map.get(k);
      if (list) list.push(v);
      else map.set(k, [v]);
    } catch {
      return null;
    }
  }
  return map;
}
