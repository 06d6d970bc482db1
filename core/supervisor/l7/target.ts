/**
 * The request target sent upstream: the same path the policy judged (dot segments resolved, empty
 * segments and `;params` dropped), written in a normal percent-encoding so the upstream cannot read it
 * as anything else. Null when the path cannot be made canonical (the engine denies those anyway).
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;
// pchar minus `%` (RFC 3986): these stay literal; everything else is percent-encoded.
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,=:@]/;

function normalizeSegment(raw: string): string | null {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      const ch = String.fromCharCode(parseInt(hex, 16));
      out += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
      i += 2;
    } else if (PCHAR.test(c)) out += c;
    else out += [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

export function forwardTarget(target: string): string | null {
  if (!target.startsWith('/')) return null;
  const q = target.search(/[?#]/);
  const path = q < 0 ? target : target.slice(0, q);
  const rest = q < 0 ? '' : target.slice(q);
  const query = rest.startsWith('?') ? rest.split('#')[0]! : '';
  const out: string[] = [];
  for (const rawSeg of path.split('/')) {
    const semi = rawSeg.indexOf(';');
    const seg = normalizeSegment(semi < 0 ? rawSeg : rawSeg.slice(0, semi));
    if (seg === null) return null;
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.pop() === undefined) return null;
      continue;
    }
    out.push(seg);
  }
  const trailing = out.length > 0 && /\/\.{0,2}$/.test(path) ? '/' : '';
  return `/${out.join('/')}${trailing}${query}`;
}
