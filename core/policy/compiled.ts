import { AnyHostMatcher, BinaryMatcher, HostMatcher, MethodMatcher, PathMatcher, PortMatcher, QueryMatcher } from './matchers.ts';
import { allowRulesOf } from './presets.ts';
import type { Endpoint, L7Rule, NetworkRule, Policy, Protocol } from './schema.ts';

/** What the proxy needs to know about the endpoint that let a connection through. */
export interface EndpointInfo {
  readonly rule: string;
  /** The host pattern as written (lower-cased), or null for a hostless `allowed_ips` endpoint. */
  readonly host: string | null;
  readonly ports: readonly number[];
  readonly protocol: Protocol | null;
  readonly enforcement: 'enforce' | 'audit';
  readonly tls: 'skip' | null;
  /** The `access` preset as written (`read-only`, …), for logs; absent when `rules` are spelled out. */
  readonly access?: 'read-only' | 'read-write' | 'full';
  readonly allowedIps: readonly string[];
  /** An exact, user-declared host name: it may resolve to private addresses. */
  readonly exactHost: boolean;
}

export interface CompiledL7Rule {
  readonly method: MethodMatcher;
  readonly path: PathMatcher;
  readonly query: QueryMatcher | null;
  /** `GET /repos/**` */
  readonly text: string;
  matches(method: string, segments: readonly string[], query: ReadonlyMap<string, readonly string[]>): boolean;
}

export interface CompiledEndpoint {
  readonly rule: CompiledRule;
  readonly index: number;
  readonly host: HostMatcher | AnyHostMatcher;
  readonly ports: PortMatcher;
  readonly info: EndpointInfo;
  /** REST/WebSocket requests on this endpoint are inspected and decided per request. */
  readonly inspect: boolean;
  readonly selector: PathMatcher | null;
  readonly allowEncodedSlash: boolean;
  readonly allows: readonly CompiledL7Rule[];
  readonly denies: readonly CompiledL7Rule[];
}

export interface CompiledRule {
  readonly key: string;
  readonly name: string;
  /** Position in lexicographic key order: the smallest matching rank names the decision. */
  readonly rank: number;
  readonly enabled: boolean;
  readonly binaries: BinaryMatcher;
  readonly endpoints: readonly CompiledEndpoint[];
}

function compileL7(r: L7Rule, mode: 'allow' | 'deny'): CompiledL7Rule {
  const method = new MethodMatcher(r.method ?? '*');
  const path = new PathMatcher(r.path ?? '**');
  const query = r.query && Object.keys(r.query).length > 0 ? new QueryMatcher(r.query, mode) : null;
  const qtext = r.query ? `?${Object.keys(r.query).join('&')}` : '';
  return {
    method,
    path,
    query,
    text: `${method.method} ${r.path === undefined || r.path === '**' ? '/**' : r.path}${qtext}`,
    matches: (m, segs, q) => method.matches(m) && path.matches(segs) && (query === null || query.matches(q)),
  };
}

function compileEndpoint(rule: CompiledRule, ep: Endpoint, index: number): CompiledEndpoint {
  const host = ep.host === undefined ? new AnyHostMatcher(ep.allowed_ips ?? []) : new HostMatcher(ep.host);
  const ports = ep.ports ?? (ep.port === undefined ? [] : [ep.port]);
  const protocol = ep.protocol ?? null;
  const info: EndpointInfo = Object.freeze({
    rule: rule.key,
    host: host instanceof HostMatcher ? host.pattern : null,
    ports,
    protocol,
    enforcement: ep.enforcement ?? 'audit',
    tls: ep.tls === 'skip' ? 'skip' : null,
    ...(ep.access === undefined ? {} : { access: ep.access }),
    allowedIps: ep.allowed_ips ?? [],
    exactHost: host instanceof HostMatcher && host.exact,
  });
  return {
    rule,
    index,
    host,
    ports: new PortMatcher(ports),
    info,
    inspect: (protocol === 'rest' || protocol === 'websocket') && ep.tls !== 'skip',
    selector: ep.path === undefined ? null : new PathMatcher(ep.path),
    allowEncodedSlash: ep.allow_encoded_slash === true,
    allows: allowRulesOf(ep).map((r) => compileL7(r, 'allow')),
    denies: (ep.deny_rules ?? []).map((r) => compileL7(r, 'deny')),
  };
}

function compileRule(key: string, rule: NetworkRule, rank: number): CompiledRule {
  const compiled: { -readonly [K in keyof CompiledRule]: CompiledRule[K] } = {
    key,
    name: rule.name ?? key,
    rank,
    enabled: rule.enabled !== false,
    binaries: new BinaryMatcher(rule.binaries.map((b) => b.path)),
    endpoints: [],
  };
  compiled.endpoints = rule.endpoints.map((ep, i) => compileEndpoint(compiled, ep, i));
  return compiled;
}

/** Every rule compiled, in lexicographic key order (disabled ones too, for explanations). */
export function compileRules(policy: Policy): CompiledRule[] {
  const keys = Object.keys(policy.network_policies ?? {}).sort();
  return keys.map((k, rank) => compileRule(k, policy.network_policies![k]!, rank));
}
