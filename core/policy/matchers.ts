import { componentGlob, joinedGlobRegExp, partsGlob } from './glob.ts';
import { normalizeHost } from './host.ts';
import type { QueryMatch } from './schema.ts';

/** Each matcher is a tiny unit that decides one thing and can say in words what it accepts. */
export interface Matcher<T> {
  matches(input: T): boolean;
  explain(): string;
}

const code = (s: string) => `\`${s}\``;

export class HostMatcher implements Matcher<string> {
  readonly pattern: string;
  readonly exact: boolean;
  private readonly test: (labels: readonly string[]) => boolean;
  constructor(pattern: string) {
    this.pattern = normalizeHost(pattern);
    this.exact = !this.pattern.includes('*');
    this.test = partsGlob(this.pattern.split('.'), 1);
  }
  matches(host: string): boolean {
    const h = normalizeHost(host);
    return this.exact ? h === this.pattern : this.test(h.split('.'));
  }
  explain(): string {
    if (this.exact) return `host ${code(this.pattern)}`;
    return `hosts matching ${code(this.pattern)} (\`*\` is one label, \`**\` one or more)`;
  }
}

export class AnyHostMatcher implements Matcher<string> {
  constructor(private readonly ips: readonly string[]) {}
  matches(): boolean {
    return true;
  }
  explain(): string {
    return `any host resolving into ${this.ips.join(', ')}`;
  }
}

export class PortMatcher implements Matcher<number> {
  constructor(readonly ports: readonly number[]) {}
  matches(port: number): boolean {
    return this.ports.includes(port);
  }
  explain(): string {
    return this.ports.length === 1 ? `port ${this.ports[0]}` : `ports ${this.ports.join(', ')}`;
  }
}

/** Binary identity: the executable itself or any ancestor process may match a listed path or glob. */
export class BinaryMatcher implements Matcher<{ binary: string; ancestors: readonly string[] }> {
  private readonly exact: ReadonlySet<string>;
  private readonly globs: readonly RegExp[];
  constructor(readonly paths: readonly string[]) {
    this.exact = new Set(paths.filter((p) => !p.includes('*')));
    this.globs = paths.filter((p) => p.includes('*')).map((p) => joinedGlobRegExp(p, '/', 0));
  }
  private one(path: string): boolean {
    if (this.exact.has(path)) return true;
    if (this.globs.length === 0 || !path.startsWith('/')) return false;
    for (const g of this.globs) if (g.test(path)) return true;
    return false;
  }
  /** The path (binary or ancestor) that matched, or null. */
  which(binary: string, ancestors: readonly string[]): string | null {
    if (this.one(binary)) return binary;
    for (const a of ancestors) if (typeof a === 'string' && this.one(a)) return a;
    return null;
  }
  matches(input: { binary: string; ancestors: readonly string[] }): boolean {
    return this.which(input.binary, input.ancestors) !== null;
  }
  explain(): string {
    if (this.paths.length === 0) return 'no binary';
    const shown = this.paths.slice(0, 3).map(code).join(', ');
    return this.paths.length > 3 ? `${shown} and ${this.paths.length - 3} more` : shown;
  }
}

export class MethodMatcher implements Matcher<string> {
  readonly method: string;
  constructor(method: string) {
    this.method = method.toUpperCase();
  }
  matches(method: string): boolean {
    const m = method.toUpperCase();
    return this.method === '*' || m === this.method || (m === 'HEAD' && this.method === 'GET');
  }
  explain(): string {
    if (this.method === '*') return 'any method';
    return this.method === 'GET' ? 'GET (and HEAD)' : this.method;
  }
}

/** Rule paths: `*` stays inside one segment, a whole `**` segment spans any number of segments. */
export class PathMatcher implements Matcher<readonly string[]> {
  private readonly test: (segments: readonly string[]) => boolean;
  constructor(readonly pattern: string) {
    const p = pattern === '**' ? '/**' : pattern;
    this.test = partsGlob(p.split('/').filter((s) => s !== ''), 0);
  }
  matches(segments: readonly string[]): boolean {
    return this.test(segments);
  }
  explain(): string {
    return this.pattern === '**' || this.pattern === '/**' ? 'any path' : `path ${code(this.pattern)}`;
  }
}

/**
 * Query constraints. Allow rules need the key present and every value to match;
 * deny rules fire when any value matches, and never on a missing key.
 */
export class QueryMatcher implements Matcher<ReadonlyMap<string, readonly string[]>> {
  private readonly keys: readonly { key: string; tests: ((v: string) => boolean)[]; text: string }[];
  constructor(query: Readonly<Record<string, QueryMatch>>, private readonly mode: 'allow' | 'deny') {
    this.keys = Object.entries(query).map(([key, m]) => {
      const globs = typeof m === 'string' ? [m] : m.any;
      return { key, tests: globs.map((g) => componentGlob(g, { nonEmpty: false })), text: globs.map(code).join(' or ') };
    });
  }
  matches(query: ReadonlyMap<string, readonly string[]>): boolean {
    return this.keys.every(({ key, tests }) => {
      const values = query.get(key);
      if (!values || values.length === 0) return false;
      const ok = (v: string) => tests.some((t) => t(v));
      return this.mode === 'allow' ? values.every(ok) : values.some(ok);
    });
  }
  explain(): string {
    return this.keys.map((k) => `query \`${k.key}\` ${this.mode === 'allow' ? 'only' : 'any of'} ${k.text}`).join(', ');
  }
}
