import type { DenyBody } from '../deny.ts';
import type { Header, InspectedRequest, TransformResult } from './types.ts';

/**
 * Credential placeholders: the agent's environment holds `OPENSHELL_PLACEHOLDER_<KEY>_<random>`, never
 * the secret. After the policy allowed a request, the supervisor swaps each placeholder for its secret
 * in header values (also inside `Authorization: Basic base64(user:pass)`) and in query values, but only
 * when the request goes over TLS to one of the provider's declared hosts. A placeholder anywhere else
 * (another host, the path, a header or query name, an unknown placeholder, plain HTTP) refuses the
 * request with a 403, so neither the secret nor the placeholder leaves for an undeclared host.
 * Bodies are streamed untouched: a placeholder in a body is neither replaced nor detected.
 */

export const PLACEHOLDER_PREFIX = 'OPENSHELL_PLACEHOLDER_';

export interface PlaceholderEntry {
  readonly placeholder: string;
  readonly provider: string;
  readonly key: string;
  readonly secret: string;
  /** `host`, `host:port`, `*.domain` or `*.domain:port`, lower-case; no port means any port. */
  readonly hosts: readonly string[];
}

/** What a placeholder pointed at before its provider was deleted (or lost the key): never the secret. */
export interface Revoked {
  readonly provider: string;
  readonly key: string;
}

type Problem =
  | { readonly kind: 'unknown'; readonly revoked?: Revoked }
  | { readonly kind: 'mismatch'; readonly entry: PlaceholderEntry }
  | { readonly kind: 'location'; readonly entry?: PlaceholderEntry; readonly where: string }
  | { readonly kind: 'plaintext'; readonly entry: PlaceholderEntry };

/**
 * Placeholders of one sandbox, longest first so one placeholder never shadows a longer one. Replaced in
 * place when the gateway rewrites `providers.json` (a provider replaced or deleted): the next request uses
 * the new values, and a placeholder whose provider is gone is unknown (refused).
 */
export class PlaceholderTable {
  private list: readonly PlaceholderEntry[] = [];
  /** Placeholders dropped by a rewrite, so a refusal can say which provider was revoked. */
  private readonly gone = new Map<string, Revoked>();
  constructor(entries: readonly PlaceholderEntry[]) {
    this.replace(entries);
  }

  get entries(): readonly PlaceholderEntry[] {
    return this.list;
  }

  replace(entries: readonly PlaceholderEntry[]): void {
    const kept = new Set(entries.map((e) => e.placeholder));
    for (const e of this.list) if (!kept.has(e.placeholder)) this.gone.set(e.placeholder, { provider: e.provider, key: e.key });
    for (const p of kept) this.gone.delete(p);
    this.list = [...entries].sort((a, b) => b.placeholder.length - a.placeholder.length);
  }

  /** The revoked placeholder starting at `at` in `text`, if any. */
  revokedAt(text: string, at: number): Revoked | undefined {
    for (const [placeholder, r] of this.gone) if (text.startsWith(placeholder, at)) return r;
    return undefined;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The entry whose placeholder starts at `at` in `text`, if any. */
  at(text: string, at: number): PlaceholderEntry | undefined {
    return this.entries.find((e) => text.startsWith(e.placeholder, at));
  }
}

/** Does `pattern` (a declared host) cover host:port? `*.` stands for exactly one label. */
export function hostMatches(pattern: string, host: string, port: number): boolean {
  const m = /^(.*?)(?::(\d+))?$/.exec(pattern);
  const pHost = m?.[1] ?? '';
  if (m?.[2] !== undefined && Number(m[2]) !== port) return false;
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!pHost.startsWith('*.')) return h === pHost;
  const rest = pHost.slice(1);
  return h.endsWith(rest) && h.length > rest.length && !h.slice(0, -rest.length).includes('.');
}

/** Sees each placeholder found: its entry, or undefined (unknown; `revoked` when a rewrite dropped it). */
type Hit = (e: PlaceholderEntry | undefined, revoked?: Revoked) => void;

/** Replaces every placeholder in `text`; `hit` sees each one. */
function swap(text: string, table: PlaceholderTable, hit: Hit, encode = (s: string) => s): string {
  let out = '';
  let from = 0;
  for (let i = text.indexOf(PLACEHOLDER_PREFIX); i >= 0; i = text.indexOf(PLACEHOLDER_PREFIX, from)) {
    const e = table.at(text, i);
    hit(e, e ? undefined : table.revokedAt(text, i));
    const len = e ? e.placeholder.length : PLACEHOLDER_PREFIX.length;
    out += text.slice(from, i) + (e ? encode(e.secret) : text.slice(i, i + len));
    from = i + len;
  }
  return from === 0 ? text : out + text.slice(from);
}

const decodeOr = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

const BASIC = /^(basic)(\s+)([A-Za-z0-9+/]+=*)$/i;

/** A header value with its placeholders replaced, decoding `Basic` credentials to look inside them. */
function swapHeader(value: string, table: PlaceholderTable, hit: (e: PlaceholderEntry | undefined) => void): string {
  const basic = BASIC.exec(value);
  if (basic) {
    // Bytes as latin1 chars, so the user part keeps its exact bytes whatever its encoding; the secret goes in as UTF-8.
    const decoded = Buffer.from(basic[3]!, 'base64').toString('latin1');
    if (decoded.includes(PLACEHOLDER_PREFIX)) {
      const swapped = swap(decoded, table, hit, (secret) => Buffer.from(secret, 'utf8').toString('latin1'));
      return `${basic[1]}${basic[2]}${Buffer.from(swapped, 'latin1').toString('base64')}`;
    }
  }
  return value.includes(PLACEHOLDER_PREFIX) ? swap(value, table, hit) : value;
}

/**
 * The query with placeholders in values replaced; percent-encoded placeholders are found too. A value
 * is split on `+` (a space in form encoding) so the pieces around a placeholder keep their encoding.
 */
function swapQuery(query: string, table: PlaceholderTable, hit: (e: PlaceholderEntry | undefined) => void, misplaced: (where: string) => void): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      if (decodeOr(name).includes(PLACEHOLDER_PREFIX)) misplaced('a query parameter name');
      if (eq < 0) return pair;
      const value = pair.slice(eq + 1);
      const pieces = value.split('+').map((p) => {
        const plain = decodeOr(p);
        if (!plain.includes(PLACEHOLDER_PREFIX)) return p;
        // Unencoded pieces keep their bytes; only the secret is encoded.
        return p === plain ? swap(p, table, hit, encodeURIComponent) : encodeURIComponent(swap(plain, table, hit));
      });
      return `${name}=${pieces.join('+')}`;
    })
    .join('&');
}

/** Quick check: does anything in the head (incl. Basic credentials and %-encoding) mention a placeholder? */
export function mentionsPlaceholder(req: Pick<InspectedRequest, 'target' | 'forwardTarget' | 'headers'>): boolean {
  const has = (s: string): boolean => s.includes(PLACEHOLDER_PREFIX) || (s.includes('%') && decodeOr(s).includes(PLACEHOLDER_PREFIX));
  if (has(req.target) || has(req.forwardTarget)) return true;
  return req.headers.some(([n, v]) => {
    if (n.includes(PLACEHOLDER_PREFIX) || v.includes(PLACEHOLDER_PREFIX)) return true;
    const basic = BASIC.exec(v);
    return basic !== null && Buffer.from(basic[3]!, 'base64').toString('latin1').includes(PLACEHOLDER_PREFIX);
  });
}

/**
 * The transform hook: unchanged when no placeholder is present, the rewritten head when every
 * placeholder may be resolved, otherwise a 403 that names the provider and the key, never the secret.
 */
export function resolvePlaceholders(req: InspectedRequest, table: PlaceholderTable): TransformResult {
  if (!mentionsPlaceholder(req)) return { ok: true, headers: req.headers };
  const problems: Problem[] = [];
  const used = new Set<PlaceholderEntry>();
  const hit: Hit = (e, revoked) => {
    if (!e) problems.push({ kind: 'unknown', ...(revoked ? { revoked } : {}) });
    else if (!e.hosts.some((p) => hostMatches(p, req.host, req.port))) problems.push({ kind: 'mismatch', entry: e });
    else if (req.scheme !== 'https') problems.push({ kind: 'plaintext', entry: e });
    else used.add(e);
  };
  const misplaced = (where: string) => (e: PlaceholderEntry | undefined): void => {
    if (e && !e.hosts.some((p) => hostMatches(p, req.host, req.port))) problems.push({ kind: 'mismatch', entry: e });
    else problems.push({ kind: 'location', where, ...(e ? { entry: e } : {}) });
  };

  const headers: Header[] = req.headers.map(([name, value]) => {
    if (name.includes(PLACEHOLDER_PREFIX)) swap(name, table, misplaced('a header name'));
    return [name, swapHeader(value, table, hit)];
  });
  const q = req.forwardTarget.indexOf('?');
  const path = q < 0 ? req.forwardTarget : req.forwardTarget.slice(0, q);
  // The path as sent and as canonicalised: a placeholder in either is misplaced.
  const rawPath = req.target.split('?')[0] ?? '';
  for (const p of new Set([path, rawPath, decodeOr(rawPath)])) if (p.includes(PLACEHOLDER_PREFIX)) swap(p, table, misplaced('the path'));
  const query = q < 0 ? undefined : swapQuery(req.forwardTarget.slice(q + 1), table, hit, (where) => problems.push({ kind: 'location', where }));

  const problem = pickProblem(problems);
  if (problem) return { ok: false, status: 403, body: denyBody(problem, req) };
  const target = query === undefined ? path : `${path}?${query}`;
  return target === req.forwardTarget ? { ok: true, headers } : { ok: true, headers, target };
}

/** The problem to report: a wrong host first (the one that matters), then unknown, misplaced, plain HTTP. */
function pickProblem(problems: readonly Problem[]): Problem | undefined {
  const order: Problem['kind'][] = ['mismatch', 'unknown', 'location', 'plaintext'];
  return [...problems].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))[0];
}

function denyBody(p: Problem, req: InspectedRequest): DenyBody {
  const dest = `${req.host}:${req.port}`;
  const who = 'entry' in p && p.entry ? { provider: p.entry.provider, key: p.entry.key } : {};
  const of = 'entry' in p && p.entry ? ` of provider \`${p.entry.provider}\` (${p.entry.key})` : '';
  switch (p.kind) {
    case 'mismatch':
      return {
        error: 'credential_endpoint_mismatch',
        detail: `a credential placeholder${of} was sent to ${dest}, which is not a declared host of that provider; the request was not forwarded`,
        reason: `credential placeholder sent to an undeclared host`,
        ...who,
        declared_hosts: p.entry.hosts,
        host: req.host,
        port: req.port,
      };
    case 'unknown':
      if (p.revoked)
        return {
          error: 'credential_placeholder_unknown',
          detail: `the credential placeholder of provider \`${p.revoked.provider}\` (${p.revoked.key}) was revoked (the provider was deleted, or replaced without ${p.revoked.key}); the request to ${dest} was not forwarded`,
          reason: 'revoked credential placeholder',
          ...p.revoked,
          host: req.host,
          port: req.port,
        };
      return {
        error: 'credential_placeholder_unknown',
        detail: `the request to ${dest} carries a credential placeholder this sandbox does not know; the request was not forwarded`,
        reason: 'unknown credential placeholder',
        host: req.host,
        port: req.port,
      };
    case 'location':
      return {
        error: 'credential_placeholder_misplaced',
        detail: `a credential placeholder${of} is in ${p.where}; placeholders are replaced only in header values and query values`,
        reason: `credential placeholder in ${p.where}`,
        ...who,
        host: req.host,
        port: req.port,
      };
    case 'plaintext':
      return {
        error: 'credential_requires_tls',
        detail: `a credential placeholder${of} was sent to ${dest} over plain HTTP; credentials are only sent over TLS`,
        reason: 'credential placeholder over plain HTTP',
        ...who,
        host: req.host,
        port: req.port,
      };
  }
}
