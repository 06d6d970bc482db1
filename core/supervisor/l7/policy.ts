import type { AllowDecision } from '../../policy/index.ts';
import type { Enforcer } from '../enforcer.ts';
import type { Identity } from '../identity.ts';
import { forwardTarget } from './target.ts';
import type { DecideResult, InspectedRequest } from './types.ts';

/**
 * The per-request policy hook: method and canonical path (and query) against the endpoint's rules.
 * `audit` logs a deny and forwards; `enforce` refuses with the JSON body naming the rule that would
 * allow it. A WebSocket upgrade is judged as `GET`. The upstream gets the canonical path.
 */
export function policyDecider(enforcer: Enforcer, identity: Identity, l4: AllowDecision): (req: InspectedRequest) => DecideResult {
  const protocol = l4.endpoint.protocol ?? 'rest';
  return (req) => {
    const method = req.upgrade ? 'GET' : req.method;
    const d = enforcer.decideL7({ host: req.host, port: req.port, binary: identity.binary, ancestors: identity.ancestors, method, path: req.target });
    const target = forwardTarget(req.target) ?? req.target;
    const path = target.split('?')[0]!;
    if (d.action === 'allow') return { ok: true, target, event: { action: 'allow', rule: d.rule, reason: d.reason, l7Rule: d.l7Rule } };
    const event = {
      action: 'deny' as const,
      rule: d.rule,
      reason: d.reason,
      error: 'policy_denied',
      enforcement: d.enforcement,
      ruleMissing: d.ruleMissing,
      l7Rule: l4.endpoint.access ?? null,
    };
    if (d.enforcement === 'audit') return { ok: true, target, event };
    return {
      ok: false,
      status: 403,
      target,
      event,
      body: {
        error: 'policy_denied',
        detail: `${method} ${req.host}${path} not permitted by policy`,
        reason: d.reason,
        policy: d.rule,
        layer: 'l7',
        protocol,
        method,
        path,
        host: req.host,
        port: req.port,
        binary: identity.binary,
        rule_missing: d.ruleMissing,
      },
    };
  };
}
