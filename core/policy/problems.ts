/** One thing wrong with a policy file, positioned so an editor can jump to it. */
export interface Problem {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  /** 1-based; 0 when the position is unknown. */
  readonly line: number;
  readonly column: number;
  /** Dotted field path, e.g. `network_policies.github.endpoints[0].host`. */
  readonly path: string;
  readonly message: string;
  readonly suggestion?: string;
}

/** A problem before it is positioned: path segments instead of line and column. */
export interface RawProblem {
  readonly severity: 'error' | 'warning';
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly suggestion?: string;
  /** Point at the key itself rather than its value (unknown keys). */
  readonly atKey?: boolean;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out === '' ? '(document)' : out;
}

/** `file:line:col: error: path: message` plus an indented hint, one block per problem. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems
    .map((p) => {
      const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
      const head = `${where}: ${p.severity}: ${p.path}: ${p.message}`;
      return p.suggestion ? `${head}\n  hint: ${p.suggestion}` : head;
    })
    .join('\n');
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** The closest known word, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
