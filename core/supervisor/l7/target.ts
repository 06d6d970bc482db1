import { canonicalizePath } from '../../policy/index.ts';

/**
 * The request target sent upstream: the path the policy judged (the engine's `canonicalizePath`: dot
 * segments resolved, empty segments and `;params` dropped), re-encoded in a normal percent-encoding so the
 * upstream cannot read it as anything else; the query as sent. Null when the path has no canonical form
 * (the engine denies those anyway).
 */

// pchar minus `%` (RFC 3986): these stay literal; everything else is percent-encoded.
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,=:@]/;

const encodeChar = (c: string): string => (PCHAR.test(c) ? c : [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));

/** A decoded segment; `%2F` is how the engine keeps an encoded slash it allowed. */
function encodeSegment(seg: string): string {
  return seg
    .split('%2F')
    .map((part) => Array.from(part, encodeChar).join(''))
    .join('%2F');
}

export function forwardTarget(target: string): string | null {
  const canon = canonicalizePath(target, { allowEncodedSlash: true });
  if (!canon.ok) return null;
  const q = target.search(/[?#]/);
  const path = q < 0 ? target : target.slice(0, q);
  const rest = q < 0 ? '' : target.slice(q);
  const query = rest.startsWith('?') ? rest.split('#')[0]! : '';
  const trailing = canon.segments.length > 0 && /\/\.{0,2}$/.test(path) ? '/' : '';
  return `/${canon.segments.map(encodeSegment).join('/')}${trailing}${query}`;
}
