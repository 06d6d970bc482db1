import { canonicalizePath, parseQuery } from './canonical.ts';
import { compileRules, type CompiledEndpoint, type CompiledRule } from './compiled.ts';
import type { Decision, L4Request, L7Request } from './decision.ts';
import { HostIndex } from './host-index.ts';
import { normalizeHost } from './host.ts';
import { invalidRequest, l4Deny } from './reasons.ts';
import type { Policy } from './schema.ts';

function badL4(req: L4Request): string | null {
  if (typeof req !== 'object' || req === null) return 'no request';
  if (typeof req.host !== 'string' || req.host === '') return 'the host is missing';
  if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) return `port \`${String(req.port)}\` is not 1–65535`;
  if (typeof req.binary !== 'string' || req.binary === '') return 'the calling binary is unknown';
  return null;
}

function ancestorsOf(req: L4Request): readonly string[] {
  const a: unknown = req.ancestors;
  return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [];
}

const byRank = (a: CompiledEndpoint, b: CompiledEndpoint) => a.rule.rank - b.rule.rank || a.index - b.index;

/** A policy compiled for decisions. Both deciders are total: they never throw and fail closed. */
export class CompiledPolicy {
  readonly rules: readonly CompiledRule[];
  private readonly active: HostIndex;
  private readonly inactive: HostIndex;
  private readonly activeRules: number;
  private readonly scratch: CompiledEndpoint[] = [];

  constructor(policy: Policy) {
    this.rules = compileRules(policy);
    const live = (r: CompiledRule) => r.enabled && r.binaries.paths.length > 0;
    this.active = new HostIndex(this.rules, live);
    this.inactive = new HostIndex(this.rules, (r) => !live(r));
    this.activeRules = this.rules.filter(live).length;
  }

  decideL4(req: L4Request): Decision {
    try {
      return this.l4(req);
    } catch (err) {
      return invalidRequest('l4', `internal error while deciding (${String(err)})`);
    }
  }

  decideL7(req: L7Request): Decision {
    try {
      return this.l7(req);
    } catch (err) {
      return invalidRequest('l7', `internal error while deciding (${String(err)})`);
    }
  }

  private l4(req: L4Request): Decision {
    const bad = badL4(req);
    if (bad) return invalidRequest('l4', bad);
    const host = normalizeHost(req.host);
    const ancestors = ancestorsOf(req);
    const out = this.scratch;
    out.length = 0;
    this.active.collect(host, req.port, out);
    let best: CompiledEndpoint | null = null;
    let matched = '';
    let inspect = false;
    for (let i = 0; i < out.length; i++) {
      const ep = out[i]!;
      const better = best === null || byRank(ep, best) < 0;
      if (!better && (!ep.inspect || inspect)) continue;
      const which = ep.rule.binaries.which(req.binary, ancestors);
      if (which === null) continue;
      if (ep.inspect) inspect = true;
      if (better) [best, matched] = [ep, which];
    }
    if (best === null) {
      const sameHostPort = out.slice();
      return l4Deny({ host, port: req.port, binary: req.binary, sameHostPort, active: this.active, inactive: this.inactive, activeRules: this.activeRules });
    }
    const via = matched === req.binary ? '' : ` (via ancestor \`${matched}\`)`;
    return {
      action: 'allow',
      layer: 'l4',
      rule: best.rule.key,
      reason: `\`${req.binary}\` may reach \`${host}:${req.port}\`: allowed by rule \`${best.rule.key}\`${via}`,
      matchedBinary: matched,
      endpoint: best.info,
      inspect,
      l7Rule: null,
    };
  }

  private l7(req: L7Request): Decision {
    const bad = badL4(req) ?? (typeof req.method !== 'string' || !/^[A-Za-z_]{1,32}$/.test(req.method) ? 'the HTTP method is invalid' : null);
    if (bad) return invalidRequest('l7', bad);
    const host = normalizeHost(req.host);
    const ancestors = ancestorsOf(req);
    const all: CompiledEndpoint[] = [];
    this.active.collect(host, req.port, all);
    const allowed = all.filter((ep) => ep.rule.binaries.which(req.binary, ancestors) !== null).sort(byRank);
    if (allowed.length === 0) return this.l4(req);
    const method = req.method.toUpperCase();
    const rawPath = typeof req.path === 'string' ? req.path : '';
    const who = `\`${req.binary}\``;
    const where = `\`${host}:${req.port}\``;
    const first = allowed[0]!;
    const deny = (rule: string, why: string, enforcement: 'enforce' | 'audit', path: string | null): Decision => ({
      action: 'deny',
      layer: 'l7',
      rule,
      reason: `${who} may not \`${method} ${path ?? rawPath}\` on ${where}: ${why}`,
      enforcement,
      ruleMissing: path === null ? null : { type: 'rest_allow', layer: 'l7', method, path, host, port: req.port, binary: req.binary },
    });
    const canon = canonicalizePath(rawPath, { allowEncodedSlash: allowed.some((e) => e.allowEncodedSlash) });
    if (!canon.ok) return deny(first.rule.key, canon.reason, 'enforce', null);
    const q = req.query ?? (rawPath.includes('?') ? rawPath.slice(rawPath.indexOf('?') + 1).split('#')[0] : '');
    const query = parseQuery(q);
    if (query === null) return deny(first.rule.key, 'the query string has a malformed escape', 'enforce', null);
    const eps = allowed.filter(
      (e) => (!canon.encodedSlash || e.allowEncodedSlash) && (e.selector === null || e.selector.matches(canon.segments)),
    );
    for (const ep of eps)
      for (const d of ep.denies)
        if (d.matches(method, canon.segments, query))
          return deny(ep.rule.key, `rule \`${ep.rule.key}\` denies \`${d.text}\``, ep.info.enforcement, null);
    const allow = (ep: CompiledEndpoint, l7Rule: string | null, why: string): Decision => ({
      action: 'allow',
      layer: 'l7',
      rule: ep.rule.key,
      reason: `${who} may \`${method} ${canon.path}\` on ${where}: ${why}`,
      matchedBinary: ep.rule.binaries.which(req.binary, ancestors) ?? req.binary,
      endpoint: ep.info,
      inspect: false,
      l7Rule,
    });
    const pass = eps.find((e) => e.info.protocol === null);
    if (pass) return allow(pass, null, `rule \`${pass.rule.key}\` passes this endpoint through uninspected`);
    const rest = eps.filter((e) => e.info.protocol === 'rest' || e.info.protocol === 'websocket');
    for (const ep of rest)
      for (const a of ep.allows)
        if (a.matches(method, canon.segments, query)) return allow(ep, a.text, `rule \`${ep.rule.key}\` allows \`${a.text}\``);
    if (rest.length === 0) {
      const other = eps[0]?.info.protocol;
      const why = other ? `this path is served as \`${other}\`, which is not decided per REST request` : 'no endpoint of the matching rules covers this path';
      return deny((eps[0] ?? first).rule.key, why, 'enforce', canon.path);
    }
    const enforcement = rest.some((e) => e.info.enforcement === 'enforce') ? 'enforce' : 'audit';
    const offers = rest.map((ep) => `rule \`${ep.rule.key}\` allows only ${ep.allows.map((a) => `\`${a.text}\``).join(', ')}`);
    return deny(rest[0]!.rule.key, [...new Set(offers)].join('; '), enforcement, canon.path);
  }
}

export function compilePolicy(policy: Policy): CompiledPolicy {
  return new CompiledPolicy(policy);
}
