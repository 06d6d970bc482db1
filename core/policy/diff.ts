import type { Endpoint, L7Rule, NetworkRule, Policy } from './schema.ts';
import { canonicalJson } from './serialize.ts';

/** A human-readable difference between two policies, one line per fact added, removed or changed. */
export interface DiffLine {
  readonly op: '+' | '-' | '~';
  /** `rule \`github\``, `filesystem_policy`… */
  readonly scope: string;
  readonly text: string;
}
export interface PolicyDiff {
  readonly lines: readonly DiffLine[];
  /** The lines rendered, or `(no changes)`. */
  readonly text: string;
}

export function endpointLabel(ep: Endpoint): string {
  const ports = ep.ports ? ep.ports.join(',') : String(ep.port ?? '?');
  const host = ep.host ?? `(any host in ${(ep.allowed_ips ?? []).join(', ')})`;
  return `${host}:${ports}${ep.path ? ` ${ep.path}` : ''}`;
}

function endpointFacts(ep: Endpoint): string[] {
  const label = endpointLabel(ep);
  const mode = [ep.protocol ?? 'l4', ep.access, ep.enforcement, ep.tls && `tls ${ep.tls}`].filter(Boolean).join(', ');
  const extra = ep.allowed_ips?.length ? ` allowed_ips ${ep.allowed_ips.join(', ')}` : '';
  const l7 = (r: L7Rule) => {
    const q = r.query ? ` ?${canonicalJson(r.query)}` : '';
    const other = canonicalJson({ ...r, method: undefined, path: undefined, query: undefined });
    return `${r.method ?? ''} ${r.path ?? ''}${q}${other === '{}' ? '' : ` ${other}`}`.trim();
  };
  return [
    `endpoint ${label} (${mode})${extra}`,
    ...(ep.rules ?? []).map((r) => `endpoint ${label}: allow ${l7(r.allow)}`),
    ...(ep.deny_rules ?? []).map((r) => `endpoint ${label}: deny ${l7(r)}`),
  ];
}

function ruleFacts(rule: NetworkRule): string[] {
  return [
    ...(rule.name ? [`name ${rule.name}`] : []),
    ...rule.endpoints.flatMap(endpointFacts),
    ...rule.binaries.map((b) => `binary ${b.path}`),
  ];
}

function setDiff(scope: string, before: readonly string[], after: readonly string[]): DiffLine[] {
  const a = new Set(before);
  const b = new Set(after);
  return [
    ...before.filter((f) => !b.has(f)).map((text) => ({ op: '-' as const, scope, text })),
    ...after.filter((f) => !a.has(f)).map((text) => ({ op: '+' as const, scope, text })),
  ];
}

function staticFacts(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    Array.isArray(v) ? v.map((x) => `${k} ${String(x)}`) : [`${k}: ${String(v)}`],
  );
}

export function diffPolicies(before: Policy, after: Policy): PolicyDiff {
  const lines: DiffLine[] = [];
  for (const key of ['filesystem_policy', 'landlock', 'process'] as const)
    lines.push(...setDiff(key, staticFacts(before[key]), staticFacts(after[key])));
  const a = before.network_policies ?? {};
  const b = after.network_policies ?? {};
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const scope = `rule \`${key}\``;
    const ra = a[key];
    const rb = b[key];
    if (!ra && rb) lines.push({ op: '+', scope, text: `added: ${rb.endpoints.map(endpointLabel).join(', ')} for ${rb.binaries.map((x) => x.path).join(', ')}` });
    else if (ra && !rb) lines.push({ op: '-', scope, text: 'removed' });
    else if (ra && rb) {
      if ((ra.enabled !== false) !== (rb.enabled !== false)) lines.push({ op: '~', scope, text: rb.enabled === false ? 'turned off' : 'turned on' });
      lines.push(...setDiff(scope, ruleFacts(ra), ruleFacts(rb)));
    }
  }
  if (canonicalJson(before.network_middlewares ?? {}) !== canonicalJson(after.network_middlewares ?? {}))
    lines.push({ op: '~', scope: 'network_middlewares', text: 'changed' });
  const text = lines.length === 0 ? '(no changes)' : lines.map((l) => `${l.op} ${l.scope}: ${l.text}`).join('\n');
  return { lines, text };
}
