import { blockedOverlap, parseCidr } from './cidr.ts';
import { hostProblem, isWildcardHost, normalizeHost } from './host.ts';
import type { RawProblem } from './problems.ts';
import type { Endpoint, L7Rule, Policy } from './schema.ts';
import { isIP } from 'node:net';

/** Upstream's cross-field rules, run after the shape check. Every problem is collected, none thrown. */

type Path = (string | number)[];
type Report = (path: Path, message: string, suggestion?: string, severity?: 'error' | 'warning') => void;

const L7_KEYS: Record<string, readonly (keyof L7Rule)[]> = {
  rest: ['method', 'path', 'query'],
  websocket: ['method', 'path', 'query'],
  graphql: ['operation_type', 'operation_name', 'fields'],
  mcp: ['method', 'tool', 'params'],
  'json-rpc': ['method'],
  sql: ['method'],
};
const L7_ONLY_FIELDS = [
  'path', 'access', 'rules', 'deny_rules', 'enforcement', 'tls', 'allow_encoded_slash', 'websocket_credential_rewrite',
  'request_body_credential_rewrite', 'credential_signing', 'persisted_queries', 'graphql_persisted_queries',
  'graphql_max_body_bytes', 'mcp', 'json_rpc',
] as const;

export function checkFsPath(p: string, where: Path, report: Report): void {
  if (!p.startsWith('/')) report(where, `\`${p}\` is not an absolute path`, `write it from the root, e.g. \`/${p.replace(/^\.?\/*/, '')}\``);
  else if (p.split('/').includes('..')) report(where, `\`${p}\` contains \`..\``, 'write the resolved path without `..`');
  if (p.length > 4096) report(where, 'path is longer than 4096 characters');
}

function checkFilesystem(policy: Policy, report: Report): void {
  const fs = policy.filesystem_policy;
  if (!fs) return;
  fs.read_only?.forEach((p, i) => checkFsPath(p, ['filesystem_policy', 'read_only', i], report));
  fs.read_write?.forEach((p, i) => {
    checkFsPath(p, ['filesystem_policy', 'read_write', i], report);
    if (p === '/') report(['filesystem_policy', 'read_write', i], 'the root `/` may not be writable', 'list the directories the agent needs to write');
  });
  if ((fs.read_only?.length ?? 0) + (fs.read_write?.length ?? 0) > 256)
    report(['filesystem_policy'], 'more than 256 paths in read_only and read_write together');
}

function checkProcess(policy: Policy, report: Report): void {
  for (const key of ['run_as_user', 'run_as_group'] as const) {
    const v = policy.process?.[key];
    if (v === '0' || v === 'root') report(['process', key], `\`${key}: ${v}\` would run the agent as root`, 'use an unprivileged id such as "1000"');
  }
}

function checkRuleShape(r: L7Rule, protocol: string, where: Path, report: Report): void {
  const allowed = L7_KEYS[protocol] ?? [];
  for (const k of Object.keys(r) as (keyof L7Rule)[]) {
    if (r[k] !== undefined && !allowed.includes(k))
      report([...where, k], `\`${k}\` does not apply to \`protocol: ${protocol}\``, `keys for ${protocol}: ${allowed.join(', ')}`);
  }
  if (protocol === 'rest' || protocol === 'websocket') {
    if (r.method === undefined) report(where, 'a REST rule needs `method`', 'use `"*"` for any method');
    else if (!/^([A-Za-z_]+|\*)$/.test(r.method)) report([...where, 'method'], `\`${r.method}\` is not an HTTP method`);
    if (r.path === undefined) report(where, 'a REST rule needs `path`', 'use `"/**"` for any path');
    else if (!r.path.startsWith('/') && r.path !== '**') report([...where, 'path'], `path \`${r.path}\` must start with \`/\``, `\`/${r.path}\``);
    else if (r.path.split('/').includes('..')) report([...where, 'path'], `path \`${r.path}\` contains \`..\``);
  }
  if (protocol === 'graphql' && r.operation_type === undefined) report(where, 'a GraphQL rule needs `operation_type`');
  if (protocol === 'json-rpc' && r.method === undefined) report(where, 'a JSON-RPC rule needs `method`');
}

function checkEndpoint(ep: Endpoint, where: Path, report: Report): void {
  const at = (k: string): Path => [...where, k];
  if (ep.host === undefined && !ep.allowed_ips?.length)
    report(where, 'endpoint has no `host`', 'add `host:`, or `allowed_ips:` for an address range');
  if (ep.host !== undefined) {
    const hp = hostProblem(ep.host);
    if (hp) report(at('host'), hp.message, hp.suggestion);
  }
  if (ep.port === undefined && ep.ports === undefined) report(where, 'endpoint has no `port`', 'add `port: 443` (or `ports: [80, 443]`)');
  if (ep.port !== undefined && ep.ports !== undefined) report(at('ports'), 'use either `port` or `ports`, not both');
  ep.allowed_ips?.forEach((c, i) => {
    const cidr = parseCidr(c);
    if (!cidr) return report([...where, 'allowed_ips', i], `\`${c}\` is not an IP address or CIDR`, 'e.g. `10.40.12.0/24`');
    const blocked = blockedOverlap(cidr);
    if (blocked) report([...where, 'allowed_ips', i], `\`${c}\` covers the ${blocked} range, which is always blocked`, 'name a private range instead');
    else if (cidr.family === 4 ? cidr.bits < 16 : cidr.bits < 48)
      report([...where, 'allowed_ips', i], `\`${c}\` is broader than a /16`, 'narrow it if you can', 'warning');
  });
  const p = ep.protocol;
  if (p === 'tcp') {
    for (const f of L7_ONLY_FIELDS) if (ep[f] !== undefined) report(at(f), `\`${f}\` does not apply to \`protocol: tcp\``);
    if (ep.host === undefined || isWildcardHost(ep.host) || isIP(normalizeHost(ep.host)))
      report(at('host'), '`protocol: tcp` needs a DNS host name (no wildcard, no IP address)');
    return;
  }
  if (p === undefined) {
    for (const f of ['access', 'rules', 'deny_rules'] as const)
      if (ep[f] !== undefined) report(at(f), `\`${f}\` needs \`protocol\``, 'add `protocol: rest` to inspect HTTP requests');
  } else {
    if (ep.access !== undefined && ep.rules !== undefined)
      report(at('access'), '`access` and `rules` cannot both be set', 'keep `rules`, or keep the `access` preset');
    if ((p === 'mcp' || p === 'json-rpc') && ep.access !== undefined)
      report(at('access'), `\`access\` presets do not apply to \`protocol: ${p}\``, 'list `rules` instead');
    const allowAll = ep.mcp?.allow_all_known_mcp_methods === true;
    if (ep.access === undefined && ep.rules === undefined && !allowAll)
      report(where, `\`protocol: ${p}\` needs \`access\` or \`rules\``, 'e.g. `access: read-only`');
    if (p === 'sql' && ep.enforcement === 'enforce') report(at('enforcement'), '`protocol: sql` supports only `enforcement: audit`');
  }
  if (ep.rules?.length === 0) report(at('rules'), '`rules` is empty', 'remove it, or add an `allow:` entry');
  if (ep.deny_rules?.length === 0) report(at('deny_rules'), '`deny_rules` is empty', 'remove it');
  if (ep.deny_rules?.length && p !== undefined && ep.access === undefined && !ep.rules?.length)
    report(at('deny_rules'), '`deny_rules` needs an allow to carve from', 'add `access:` or `rules:`');
  if (ep.tls === 'terminate' || ep.tls === 'passthrough')
    report(at('tls'), `\`tls: ${ep.tls}\` is deprecated and has no effect`, 'remove it (TLS is detected automatically)', 'warning');
  if (ep.credential_signing !== undefined && ep.request_body_credential_rewrite === true)
    report(at('credential_signing'), '`credential_signing` and `request_body_credential_rewrite` cannot be combined');
  if (p !== undefined) {
    ep.rules?.forEach((r, i) => checkRuleShape(r.allow, p, [...where, 'rules', i, 'allow'], report));
    ep.deny_rules?.forEach((r, i) => checkRuleShape(r, p, [...where, 'deny_rules', i], report));
  }
}

function checkNetwork(policy: Policy, report: Report): void {
  const seen = new Map<string, { sig: string; where: string }>();
  for (const [key, rule] of Object.entries(policy.network_policies ?? {})) {
    const base: Path = ['network_policies', key];
    if (key.startsWith('_provider_')) report(base, `rule names starting \`_provider_\` are reserved`, `rename it, e.g. \`${key.slice(10) || 'my_rule'}\``);
    if (rule.endpoints.length === 0) report([...base, 'endpoints'], 'rule has no endpoints', 'add `- { host: example.com, port: 443 }`', 'warning');
    if (rule.binaries.length === 0)
      report([...base, 'binaries'], 'rule has no binaries, so no process can use it', 'add `- path: /usr/bin/curl`', 'warning');
    rule.binaries.forEach((b, i) => checkFsPath(b.path, [...base, 'binaries', i, 'path'], report));
    rule.endpoints.forEach((ep, i) => {
      checkEndpoint(ep, [...base, 'endpoints', i], report);
      // Overlapping endpoints must agree on how traffic is handled, else the generation is ambiguous.
      const sig = `${ep.protocol ?? 'l4'}|${ep.tls ?? ''}|${ep.enforcement ?? 'audit'}`;
      for (const port of ep.ports ?? (ep.port === undefined ? [] : [ep.port])) {
        if (ep.host === undefined) continue;
        const id = `${normalizeHost(ep.host)}:${port}${ep.path ?? ''}`;
        const prev = seen.get(id);
        if (prev && prev.sig !== sig)
          report([...base, 'endpoints', i], `\`${id}\` is also declared by ${prev.where} with a different protocol, tls or enforcement`, 'make the two endpoints agree');
        else seen.set(id, { sig, where: `rule \`${key}\`` });
      }
    });
  }
  const mws = Object.entries(policy.network_middlewares ?? {});
  if (mws.length > 10) report(['network_middlewares'], 'at most 10 middlewares are allowed');
  const orders = new Map<number, string>();
  for (const [key, mw] of mws) {
    const o = mw.order ?? 0;
    const other = orders.get(o);
    if (other !== undefined) report(['network_middlewares', key, 'order'], `order ${o} is already used by \`${other}\``, 'give each middleware its own order');
    orders.set(o, key);
  }
}

export function validatePolicy(policy: Policy): RawProblem[] {
  const problems: RawProblem[] = [];
  const report: Report = (path, message, suggestion, severity = 'error') =>
    problems.push({ severity, path, message, ...(suggestion === undefined ? {} : { suggestion }) });
  checkFilesystem(policy, report);
  checkProcess(policy, report);
  checkNetwork(policy, report);
  return problems;
}
