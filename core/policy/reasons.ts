import type { CompiledEndpoint, CompiledRule } from './compiled.ts';
import type { DenyDecision, RuleMissing } from './decision.ts';
import type { HostIndex } from './host-index.ts';

/** Deny sentences for L4. Only reached on a deny, so clarity wins over speed here (but still indexed). */

export interface DenyContext {
  readonly host: string;
  readonly port: number;
  readonly binary: string;
  readonly sameHostPort: readonly CompiledEndpoint[];
  readonly active: HostIndex;
  readonly inactive: HostIndex;
  readonly activeRules: number;
}

function uniqueRules(eps: readonly CompiledEndpoint[]): CompiledRule[] {
  const seen = new Map<string, CompiledRule>();
  for (const ep of eps) seen.set(ep.rule.key, ep.rule);
  return [...seen.values()].sort((a, b) => a.rank - b.rank);
}

export function l4Deny(ctx: DenyContext): DenyDecision {
  const who = `\`${ctx.binary}\``;
  const what = `\`${ctx.host}:${ctx.port}\``;
  const ruleMissing: RuleMissing = { type: 'l4_allow', layer: 'l4', host: ctx.host, port: ctx.port, binary: ctx.binary };
  const deny = (rule: string | null, why: string): DenyDecision => ({
    action: 'deny',
    layer: 'l4',
    rule,
    reason: `${who} may not reach ${what}: ${why}`,
    enforcement: 'enforce',
    ruleMissing,
  });
  const rules = uniqueRules(ctx.sameHostPort);
  if (rules.length > 0) {
    const [first] = rules as [CompiledRule, ...CompiledRule[]];
    const more = rules.length > 1 ? ` (${rules.length - 1} more rule${rules.length > 2 ? 's' : ''} for this endpoint allow other binaries)` : '';
    return deny(first.key, `rule \`${first.key}\` allows only ${first.binaries.explain()}${more}`);
  }
  const off: CompiledEndpoint[] = [];
  ctx.inactive.collect(ctx.host, ctx.port, off);
  const offRule = uniqueRules(off)[0];
  if (offRule)
    return deny(
      offRule.key,
      offRule.enabled ? `rule \`${offRule.key}\` lists no binaries` : `rule \`${offRule.key}\` would allow it but is turned off`,
    );
  if (ctx.activeRules === 0) return deny(null, 'the policy allows no network connections');
  const otherPorts: CompiledEndpoint[] = [];
  ctx.active.collect(ctx.host, null, otherPorts);
  const near = otherPorts.filter((ep) => ep.info.host !== null);
  if (near.length > 0) {
    const ports = [...new Set(near.flatMap((ep) => ep.ports.ports))].sort((a, b) => a - b);
    const rule = near[0]!.rule.key;
    return deny(rule, `\`${ctx.host}\` is allowed only on port${ports.length > 1 ? 's' : ''} ${ports.join(', ')} (rule \`${rule}\`)`);
  }
  return deny(null, `no rule allows ${what}`);
}

/** Why a request could not be evaluated at all; always denied. */
export function invalidRequest(layer: 'l4' | 'l7', why: string): DenyDecision {
  return { action: 'deny', layer, rule: null, reason: `request denied: ${why}`, enforcement: 'enforce', ruleMissing: null };
}
