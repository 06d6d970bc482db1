import { compileRules } from './compiled.ts';
import type { L4Request } from './decision.ts';
import { normalizeHost } from './host.ts';
import type { Policy } from './schema.ts';

/**
 * The naive evaluator: every rule, every endpoint, in key order, first match wins. Kept as the
 * baseline for `npm run bench` and as the oracle the index is property-tested against.
 */
export function linearDecider(policy: Policy): (req: L4Request) => { action: 'allow' | 'deny'; rule: string | null } {
  const rules = compileRules(policy).filter((r) => r.enabled);
  return (req) => {
    if (typeof req.host !== 'string' || req.host === '' || typeof req.binary !== 'string' || req.binary === '')
      return { action: 'deny', rule: null };
    const host = normalizeHost(req.host);
    const ancestors = Array.isArray(req.ancestors) ? req.ancestors.filter((a) => typeof a === 'string') : [];
    for (const rule of rules)
      for (const ep of rule.endpoints)
        if (ep.ports.matches(req.port) && ep.host.matches(host) && rule.binaries.which(req.binary, ancestors) !== null)
          return { action: 'allow', rule: rule.key };
    return { action: 'deny', rule: null };
  };
}
