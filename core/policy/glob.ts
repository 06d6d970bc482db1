/** Glob primitives shared by the host, binary and path matchers. */

export type PartTest = (part: string) => boolean;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One component (label, path segment, query value): `*` is any run of characters, nothing else is special. */
export function componentGlob(pattern: string, { nonEmpty = true } = {}): PartTest {
  if (!pattern.includes('*')) return (s) => s === pattern;
  if (/^\*+$/.test(pattern)) return nonEmpty ? (s) => s.length > 0 : () => true;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
  return (s) => re.test(s);
}

/**
 * Components joined by a separator: `*` stays inside one component, a whole `**` component spans
 * `globstarMin` or more components. Dynamic programming keeps it linear in pattern × input.
 */
export function partsGlob(patternParts: readonly string[], globstarMin: 0 | 1): (parts: readonly string[]) => boolean {
  const tests = patternParts.map((p) => (p === '**' ? null : componentGlob(p)));
  return (parts) => {
    const m = tests.length;
    const n = parts.length;
    // can[j] = the pattern prefix handled so far matches parts[0..j)
    let can = new Array<boolean>(n + 1).fill(false);
    can[0] = true;
    for (let i = 0; i < m; i++) {
      const t = tests[i];
      const next = new Array<boolean>(n + 1).fill(false);
      if (t === null || t === undefined) {
        // `**` swallows whole, non-empty components only.
        for (let j = 0; j <= n; j++) {
          const consumed = j > 0 && parts[j - 1] !== '' && (can[j - 1]! || next[j - 1]!);
          next[j] = (globstarMin === 0 && can[j]!) || consumed;
        }
      } else {
        for (let j = 0; j < n; j++) if (can[j] && t(parts[j]!)) next[j + 1] = true;
      }
      can = next;
    }
    return can[n]!;
  };
}

/**
 * The same semantics as `partsGlob`, as one regular expression over the joined string
 * (faster on hot paths where the input is not already split).
 */
export function joinedGlobRegExp(pattern: string, sep: string, globstarMin: 0 | 1): RegExp {
  const s = escapeRegExp(sep);
  const one = `[^${s}]+`;
  const parts = pattern.split(sep);
  let re = '';
  parts.forEach((p, i) => {
    const lead = i === 0 || (i === 1 && parts[0] === '**') ? '' : s;
    if (p === '**') {
      const rep = globstarMin === 0 ? '*' : '+';
      if (i === 0 && parts.length === 1) re += globstarMin === 0 ? `(?:${one}(?:${s}${one})*)?` : `${one}(?:${s}${one})*`;
      else if (i === 0) re += `(?:${one}${s})${rep}`;
      else re += `(?:${s}${one})${rep}`;
      return;
    }
    const comp = p === '' ? '' : /^\*+$/.test(p) ? one : p.split('*').map(escapeRegExp).join(`[^${s}]*`);
    re += lead + comp;
  });
  return new RegExp(`^${re}$`, 's');
}
