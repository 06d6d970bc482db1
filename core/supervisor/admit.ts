import type { Socket } from 'node:net';
import type { AllowDecision } from '../policy/index.ts';
import type { DenyBody } from './deny.ts';
import type { Dialer } from './dial.ts';
import type { Enforcer } from './enforcer.ts';
import type { DecisionFields, EventSink } from './events.ts';
import { guardDestination, type Resolver } from './guard.ts';
import type { IdentityResult } from './identity.ts';

/**
 * The proxy pipeline for one connection request: identify → decide L4 → guard the destination → dial.
 * Each stage either lets the request continue or ends it with a deny; every end is exactly one event.
 */

export interface AdmitDeps {
  readonly enforcer: Enforcer;
  readonly events: EventSink;
  readonly resolve: Resolver;
  readonly dial: Dialer;
}

export interface AdmitRequest {
  /** `CONNECT h:p` or `GET http://…`, for deny details. */
  readonly what: string;
  readonly host: string;
  readonly port: number;
  readonly method?: string;
  readonly path?: string;
  readonly identity: IdentityResult;
}

export type Admission =
  | { readonly ok: true; readonly upstream: Socket; readonly ip: string; readonly seq: number; readonly decision: AllowDecision }
  | { readonly ok: false; readonly status: number; readonly body: DenyBody };

export async function admit(req: AdmitRequest, deps: AdmitDeps): Promise<Admission> {
  const id = req.identity;
  const who = {
    binary: id.binary,
    ...(id.pid === undefined ? {} : { pid: id.pid }),
    ...(id.ancestors === undefined ? {} : { ancestors: id.ancestors }),
    ...(id.cmdline === undefined ? {} : { cmdline: id.cmdline }),
  };
  const base = {
    layer: 'l4' as const,
    ...who,
    host: req.host,
    port: req.port,
    ...(req.method === undefined ? {} : { method: req.method }),
    ...(req.path === undefined ? {} : { path: req.path }),
    ...(deps.enforcer.version === undefined ? {} : { policyVersion: deps.enforcer.version }),
  };
  const deny = (status: number, fields: Omit<DecisionFields, keyof typeof base | 'action'> & { error: string }, detail: string, extra: Record<string, unknown> = {}): Admission => {
    deps.events.decision({ ...base, action: 'deny', ...fields });
    return { ok: false, status, body: { error: fields.error, detail, reason: fields.reason, binary: id.binary, host: req.host, port: req.port, ...extra } };
  };

  // Stage 1: identity. An unidentified, ambiguous or altered caller is never asked about.
  if (!id.ok) return deny(403, { rule: null, reason: id.reason, error: id.error }, `${req.what} not permitted: ${id.reason}`);

  // Stage 2: the L4 decision.
  const version = deps.enforcer.version;
  const decision = deps.enforcer.decide({ host: req.host, port: req.port, binary: id.binary, ancestors: id.ancestors });
  if (decision.action === 'deny')
    return deny(
      403,
      { rule: decision.rule, reason: decision.reason, error: 'policy_denied', ruleMissing: decision.ruleMissing },
      `${req.what} not permitted by policy`,
      { rule_missing: decision.ruleMissing },
    );

  // Stage 3: the destination guard.
  const guard = await guardDestination(req.host, req.port, decision.endpoint, deps.resolve);
  if (!guard.ok)
    return deny(403, { rule: decision.rule, reason: guard.detail, error: 'ssrf_denied', ...(guard.ip === undefined ? {} : { ip: guard.ip }) }, guard.detail);

  // Stage 4: dial the checked addresses.
  try {
    const { socket, ip } = await deps.dial(guard.addresses, req.port);
    // A revision that arrived while resolving or dialing is the one in force: it decides again.
    if (deps.enforcer.version !== version) {
      const again = deps.enforcer.decide({ host: req.host, port: req.port, binary: id.binary, ancestors: id.ancestors });
      if (again.action === 'deny') {
        socket.destroy();
        return deny(403, { rule: again.rule, reason: again.reason, error: 'policy_denied', ruleMissing: again.ruleMissing }, `${req.what} not permitted by policy`, {
          rule_missing: again.ruleMissing,
        });
      }
    }
    const seq = deps.events.decision({ ...base, action: 'allow', rule: decision.rule, reason: decision.reason, ip });
    return { ok: true, upstream: socket, ip, seq, decision };
  } catch (err) {
    const detail = `connection to ${req.host}:${req.port} failed (${err instanceof Error ? err.message : String(err)})`;
    return deny(502, { rule: decision.rule, reason: detail, error: 'upstream_unreachable', ip: guard.addresses[0]! }, detail);
  }
}
