import { PolicyError, UsageError } from '../errors.ts';
import {
  addAllowRule,
  addDenyRule,
  addEndpoint,
  diffPolicies,
  parseEndpointRef,
  parseEndpointSpec,
  parseRuleSpec,
  removeEndpoint,
  removeRule,
  ruleNameFor,
  type EndpointRef,
  type Policy,
  type PolicyDiff,
} from '../policy/index.ts';

/** The flags of `policy update`, as given: one request becomes one revision. */
export interface UpdateRequest {
  readonly addEndpoint: readonly string[];
  readonly removeEndpoint: readonly string[];
  readonly addAllow: readonly string[];
  readonly addDeny: readonly string[];
  readonly removeRule: readonly string[];
  readonly binary: readonly string[];
  readonly ruleName?: string;
}

export function isEmptyRequest(r: UpdateRequest): boolean {
  return [r.addEndpoint, r.removeEndpoint, r.addAllow, r.addDeny, r.removeRule].every((l) => l.length === 0);
}

const hostOf = (h: string): string => h.toLowerCase().replace(/\.$/, '');

/** The rule an `--add-allow/--add-deny` goes to: `--rule-name`, else the one rule with an L7 endpoint at host:port. */
function ruleFor(policy: Policy, ref: EndpointRef, ruleName: string | undefined, flag: string): string {
  if (ruleName !== undefined) return ruleName;
  const keys = Object.entries(policy.network_policies ?? {})
    .filter(([, r]) =>
      r.endpoints.some((e) => e.protocol !== undefined && e.host !== undefined && hostOf(e.host) === hostOf(ref.host) && (e.port === ref.port || (e.ports ?? []).includes(ref.port))),
    )
    .map(([k]) => k);
  if (keys.length === 1) return keys[0]!;
  if (keys.length === 0)
    throw new PolicyError(`${flag}: no rule inspects requests to \`${ref.host}:${ref.port}\``, {
      hint: `add it first, e.g. \`--add-endpoint ${ref.host}:${ref.port}:read-only --binary PATH\``,
    });
  throw new UsageError(`${flag}: rules ${keys.map((k) => `\`${k}\``).join(', ')} all cover \`${ref.host}:${ref.port}\``, 'pick one with --rule-name');
}

/**
 * Applies every change of the request with the engine's edit operations, in a fixed order (removals,
 * then endpoints, then request rules), and returns the final policy with one diff against the start.
 */
export function applyUpdate(start: Policy, req: UpdateRequest): { policy: Policy; diff: PolicyDiff } {
  if (isEmptyRequest(req)) {
    throw new UsageError('nothing to change', 'use --add-endpoint, --remove-endpoint, --add-allow, --add-deny or --remove-rule');
  }
  if (req.addEndpoint.length === 0 && req.binary.length > 0 && req.addAllow.length + req.addDeny.length === 0) {
    throw new UsageError('--binary goes with --add-endpoint');
  }
  let policy = start;
  for (const key of req.removeRule) policy = removeRule(policy, key).policy;
  for (const spec of req.removeEndpoint) policy = removeEndpoint(policy, parseEndpointRef(spec)).policy;
  for (const spec of req.addEndpoint) {
    const ep = parseEndpointSpec(spec);
    const key = req.ruleName ?? ruleNameFor(ep.host ?? '', ep.port ?? 0);
    policy = addEndpoint(policy, key, ep, req.binary).policy;
  }
  for (const [flag, specs] of [['--add-allow', req.addAllow], ['--add-deny', req.addDeny]] as const) {
    for (const spec of specs) {
      const { ref, rule } = parseRuleSpec(spec, flag);
      const key = ruleFor(policy, ref, req.ruleName, flag);
      policy = (flag === '--add-allow' ? addAllowRule : addDenyRule)(policy, key, ref, rule).policy;
    }
  }
  return { policy, diff: diffPolicies(start, policy) };
}
