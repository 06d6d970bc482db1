import { PolicyError } from '../errors.ts';
import type { RuleMissing } from './decision.ts';
import { diffPolicies, endpointLabel, type PolicyDiff } from './diff.ts';
import { normalizeHost } from './host.ts';
import { BinaryMatcher } from './matchers.ts';
import { expandAccess } from './presets.ts';
import { closest, formatPath } from './problems.ts';
import { policySchema, type Endpoint, type L7Rule, type NetworkRule, type Policy } from './schema.ts';
import { canonicalJson } from './serialize.ts';
import { ruleNameFor, type EndpointRef } from './spec.ts';
import { validatePolicy } from './validate.ts';

/**
 * Edit operations for the keyboard and the CLI. Each is pure: it returns a new, validated policy and a
 * readable diff, or throws a PolicyError saying why the change cannot be made.
 */
export interface EditResult {
  readonly policy: Policy;
  readonly diff: PolicyDiff;
}

type Draft = Policy & { network_policies: Record<string, NetworkRule> };

function edit(policy: Policy, change: (draft: Draft) => void): EditResult {
  const draft = structuredClone(policy) as Draft;
  draft.network_policies ??= {};
  change(draft);
  const parsed = policySchema.safeParse(draft);
  if (!parsed.success) throw new PolicyError(`the change would not be a valid policy: ${parsed.error.issues[0]?.message ?? ''}`);
  const errors = validatePolicy(parsed.data).filter((p) => p.severity === 'error');
  if (errors.length > 0)
    throw new PolicyError(`the change would make the policy invalid: ${formatPath(errors[0]!.path)}: ${errors[0]!.message}`, {
      ...(errors[0]!.suggestion ? { hint: errors[0]!.suggestion } : {}),
    });
  return { policy: parsed.data, diff: diffPolicies(policy, parsed.data) };
}

function ruleOf(draft: Draft, key: string): NetworkRule {
  const rule = draft.network_policies[key];
  if (rule) return rule;
  const near = closest(key, Object.keys(draft.network_policies));
  throw new PolicyError(`no rule \`${key}\` in the policy`, near ? { hint: `did you mean \`${near}\`?` } : {});
}

const sameRef = (ep: Endpoint, ref: EndpointRef) =>
  ep.host !== undefined && normalizeHost(ep.host) === normalizeHost(ref.host) && (ep.port === ref.port || (ep.ports ?? []).includes(ref.port));

function endpointOf(rule: NetworkRule, key: string, ref: EndpointRef): Endpoint {
  const ep = rule.endpoints.find((e) => sameRef(e, ref));
  if (!ep) throw new PolicyError(`rule \`${key}\` has no endpoint \`${ref.host}:${ref.port}\``);
  return ep;
}

export function setRuleEnabled(policy: Policy, key: string, enabled: boolean): EditResult {
  return edit(policy, (d) => {
    const rule = ruleOf(d, key);
    if (enabled) delete rule.enabled;
    else rule.enabled = false;
  });
}

/** Turn a block off (kept in the file as `enabled: false`) or back on. */
export function toggleRule(policy: Policy, key: string): EditResult {
  const rule = policy.network_policies?.[key];
  return setRuleEnabled(policy, key, rule?.enabled === false);
}

export function removeRule(policy: Policy, key: string): EditResult {
  return edit(policy, (d) => {
    ruleOf(d, key);
    delete d.network_policies[key];
  });
}

/** Add (or replace, for the same host and port) an endpoint; a new rule needs at least one binary. */
export function addEndpoint(policy: Policy, key: string, endpoint: Endpoint, binaries: readonly string[] = []): EditResult {
  return edit(policy, (d) => {
    const existing = d.network_policies[key];
    if (!existing) {
      if (binaries.length === 0) throw new PolicyError(`a new rule \`${key}\` needs at least one binary`, { hint: 'pass --binary PATH' });
      d.network_policies[key] = { endpoints: [endpoint], binaries: binaries.map((path) => ({ path })) };
      return;
    }
    const ref = { host: endpoint.host ?? '', port: endpoint.port ?? endpoint.ports?.[0] ?? 0 };
    const at = existing.endpoints.findIndex((e) => sameRef(e, ref));
    if (at >= 0) existing.endpoints[at] = endpoint;
    else existing.endpoints.push(endpoint);
    for (const path of binaries) if (!existing.binaries.some((b) => b.path === path)) existing.binaries.push({ path });
  });
}

/** Remove `host:port` from one rule, or from every rule; a rule left without endpoints goes too. */
export function removeEndpoint(policy: Policy, ref: EndpointRef, key?: string): EditResult {
  return edit(policy, (d) => {
    const keys = key === undefined ? Object.keys(d.network_policies) : [key];
    let removed = 0;
    for (const k of keys) {
      const rule = ruleOf(d, k);
      const before = rule.endpoints.length;
      rule.endpoints = rule.endpoints.filter((e) => !sameRef(e, ref));
      removed += before - rule.endpoints.length;
      if (before > 0 && rule.endpoints.length === 0) delete d.network_policies[k];
    }
    if (removed === 0) throw new PolicyError(`no endpoint \`${ref.host}:${ref.port}\`${key ? ` in rule \`${key}\`` : ''}`);
  });
}

export function addBinary(policy: Policy, key: string, path: string): EditResult {
  return edit(policy, (d) => {
    const rule = ruleOf(d, key);
    if (!rule.binaries.some((b) => b.path === path)) rule.binaries.push({ path });
  });
}

export function removeBinary(policy: Policy, key: string, path: string): EditResult {
  return edit(policy, (d) => {
    const rule = ruleOf(d, key);
    if (!rule.binaries.some((b) => b.path === path)) throw new PolicyError(`rule \`${key}\` does not list \`${path}\``);
    rule.binaries = rule.binaries.filter((b) => b.path !== path);
  });
}

function l7Endpoint(d: Draft, key: string, ref: EndpointRef): Endpoint {
  const ep = endpointOf(ruleOf(d, key), key, ref);
  if (ep.protocol === undefined)
    throw new PolicyError(`\`${endpointLabel(ep)}\` in rule \`${key}\` is an L4 endpoint: requests on it are not inspected`, {
      hint: 'set `protocol: rest` on the endpoint first',
    });
  return ep;
}

export function addAllowRule(policy: Policy, key: string, ref: EndpointRef, rule: L7Rule): EditResult {
  return edit(policy, (d) => {
    const ep = l7Endpoint(d, key, ref);
    // `access` and `rules` are exclusive: a preset becomes its explicit rules before one is added.
    if (ep.access !== undefined) {
      ep.rules = expandAccess(ep).map((allow) => ({ allow }));
      delete ep.access;
    }
    ep.rules ??= [];
    if (!ep.rules.some((r) => canonicalJson(r.allow) === canonicalJson(rule))) ep.rules.push({ allow: rule });
  });
}

export function addDenyRule(policy: Policy, key: string, ref: EndpointRef, rule: L7Rule): EditResult {
  return edit(policy, (d) => {
    const ep = l7Endpoint(d, key, ref);
    ep.deny_rules ??= [];
    if (!ep.deny_rules.some((r) => canonicalJson(r) === canonicalJson(rule))) ep.deny_rules.push(rule);
  });
}

export function removeAllowRule(policy: Policy, key: string, ref: EndpointRef, rule: L7Rule): EditResult {
  return edit(policy, (d) => {
    const ep = l7Endpoint(d, key, ref);
    const left = (ep.rules ?? []).filter((r) => canonicalJson(r.allow) !== canonicalJson(rule));
    if (left.length === (ep.rules ?? []).length) throw new PolicyError(`rule \`${key}\` has no such allow rule on \`${endpointLabel(ep)}\``);
    if (left.length === 0) throw new PolicyError('that is the last allow rule of the endpoint', { hint: 'remove the endpoint instead' });
    ep.rules = left;
  });
}

export function removeDenyRule(policy: Policy, key: string, ref: EndpointRef, rule: L7Rule): EditResult {
  return edit(policy, (d) => {
    const ep = l7Endpoint(d, key, ref);
    const left = (ep.deny_rules ?? []).filter((r) => canonicalJson(r) !== canonicalJson(rule));
    if (left.length === (ep.deny_rules ?? []).length) throw new PolicyError(`rule \`${key}\` has no such deny rule on \`${endpointLabel(ep)}\``);
    if (left.length === 0) delete ep.deny_rules;
    else ep.deny_rules = left;
  });
}

function freeKey(d: Draft, base: string, fits: (r: NetworkRule) => boolean): string {
  for (let n = 1; ; n++) {
    const key = n === 1 ? base : `${base}_${n}`;
    const r = d.network_policies[key];
    if (!r || fits(r)) return key;
  }
}

/**
 * "Allow exactly this denied request": the narrowest rule for that host, port and binary, and at L7
 * that method and exact path, in a rule of its own named `allow_<host>_<port>`.
 */
export function allowDenied(policy: Policy, missing: RuleMissing): EditResult {
  const { host, port, binary } = missing;
  const ref = { host, port };
  return edit(policy, (d) => {
    const onlyThisBinary = (r: NetworkRule) => r.binaries.length === 1 && r.binaries[0]!.path === binary;
    const key = freeKey(d, ruleNameFor(host, port), onlyThisBinary);
    if (missing.type === 'l4_allow') {
      const rule = (d.network_policies[key] ??= { endpoints: [], binaries: [{ path: binary }] });
      if (rule.endpoints.some((e) => sameRef(e, ref))) return;
      // An endpoint declared elsewhere for this host and port is copied, so both are handled alike (and L7 stays L7).
      const existing = Object.values(d.network_policies).flatMap((r) => r.endpoints).find((e) => sameRef(e, ref));
      const { ports: _ports, ...template } = existing ? structuredClone(existing) : {};
      rule.endpoints.push({ ...template, host, port });
      return;
    }
    if (missing.path.includes('*')) throw new PolicyError(`the path \`${missing.path}\` contains \`*\`, which a rule cannot match literally`);
    // Copy how the existing REST endpoint is handled so the two endpoints agree (tls, enforcement, path).
    const template = Object.values(d.network_policies)
      .filter((r) => r.enabled !== false && new BinaryMatcher(r.binaries.map((b) => b.path)).which(binary, []) !== null)
      .flatMap((r) => r.endpoints)
      .find((e) => sameRef(e, ref) && (e.protocol === 'rest' || e.protocol === 'websocket'));
    const allow: L7Rule = { method: missing.method, path: missing.path };
    const rule = (d.network_policies[key] ??= { endpoints: [], binaries: [{ path: binary }] });
    let ep = rule.endpoints.find((e) => sameRef(e, ref));
    if (!ep) {
      ep = { host, port, protocol: template?.protocol ?? 'rest', rules: [] };
      for (const k of ['path', 'tls', 'enforcement'] as const) if (template?.[k] !== undefined) Object.assign(ep, { [k]: template[k] });
      rule.endpoints.push(ep);
    }
    if (ep.protocol === undefined) return;
    if (ep.access !== undefined) {
      ep.rules = expandAccess(ep).map((a) => ({ allow: a }));
      delete ep.access;
    }
    ep.rules ??= [];
    if (!ep.rules.some((r) => canonicalJson(r.allow) === canonicalJson(allow))) ep.rules.push({ allow });
  });
}
