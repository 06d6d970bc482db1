import type { AllowDecision } from '../../policy/index.ts';
import type { DenyBody } from '../deny.ts';
import type { Identity } from '../identity.ts';
import { authorityOf } from './inspect.ts';
import { policyDecider } from './policy.ts';
import { logRequest, type L7Deps } from './tunnel.ts';

/**
 * The per-request check for absolute-form plain HTTP (`GET http://host/path`, forward.ts) to an
 * inspected endpoint: the same decision as inside a tunnel, and the same event once the response ends.
 */
export type ForwardCheck =
  | { readonly ok: true; readonly target: string; readonly finish: (o: { status: number; bytesIn: number; bytesOut: number; upstreamMs?: number }) => void }
  | { readonly ok: false; readonly status: number; readonly body: DenyBody };

export function checkForwarded(
  deps: Pick<L7Deps, 'events' | 'enforcer'>,
  identity: Identity,
  decision: AllowDecision,
  req: { host: string; port: number; method: string; target: string; hostHeader: string | undefined },
): ForwardCheck {
  const started = performance.now();
  const t = { host: req.host, port: req.port, identity, decision };
  const method = req.method.toUpperCase();
  const a = req.hostHeader === undefined ? { host: req.host, port: req.port } : authorityOf(req.hostHeader, 'http');
  if (!a || a.host !== req.host || a.port !== req.port) {
    const message = `the request names \`${(req.hostHeader ?? '').slice(0, 100)}\` but its URL names ${req.host}:${req.port}`;
    logRequest(deps, t, { method, path: req.target.split('?')[0]!, status: 403, bytesIn: 0, bytesOut: 0, durationMs: 0, error: 'request_authority_mismatch', reason: message });
    return { ok: false, status: 403, body: { error: 'request_authority_mismatch', detail: message, message, host: req.host, port: req.port } };
  }
  const d = policyDecider(deps.enforcer, identity, decision)({
    method,
    target: req.target,
    forwardTarget: req.target,
    headers: [],
    host: req.host,
    port: req.port,
    scheme: 'http',
    upgrade: false,
  });
  const path = (d.target ?? req.target).split('?')[0]!;
  if (!d.ok) {
    logRequest(deps, t, { method, path, status: d.status, bytesIn: 0, bytesOut: 0, durationMs: performance.now() - started, event: d.event });
    return { ok: false, status: d.status, body: d.body };
  }
  return {
    ok: true,
    target: d.target ?? req.target,
    finish: (o) => logRequest(deps, t, { method, path, ...o, durationMs: performance.now() - started, event: d.event }),
  };
}
