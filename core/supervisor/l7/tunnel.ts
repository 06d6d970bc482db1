import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AllowDecision } from '../../policy/index.ts';
import type { Enforcer } from '../enforcer.ts';
import type { EventSink } from '../events.ts';
import type { Identity, IdentityResult } from '../identity.ts';
import type { RelayStats } from '../relay.ts';
import { acceptTls, connectTls, describeTlsFailure, isTlsHello, peek, type UpstreamTlsError } from '../tls/terminate.ts';
import type { TlsAuthority } from '../tls/authority.ts';
import { inspect, Refused, refusal } from './inspect.ts';
import { policyDecider } from './policy.ts';
import { relayWebSocket } from './websocket.ts';
import type { InspectHooks, RequestOutcome } from './types.ts';

/** An admitted CONNECT tunnel, as the stage that may take it over sees it. */
export interface TunnelInfo {
  readonly host: string;
  readonly port: number;
  readonly identity: IdentityResult;
  readonly decision: AllowDecision;
}

/** Takes over an open tunnel (after `200 Connection Established`); `done` when both sockets are closed. */
export type TunnelStage = (client: Socket, upstream: Socket, head: Buffer, done: (stats: RelayStats) => void) => void;

/** Chooses a stage for a tunnel, or null to relay its bytes untouched (connect.ts). */
export type Interceptor = (t: TunnelInfo) => TunnelStage | null;

export interface L7Deps {
  readonly tls: TlsAuthority;
  readonly enforcer: Enforcer;
  readonly events: EventSink;
  /** Idle limit between requests on an inspected connection (default L7_IDLE_MS in inspect.ts). */
  readonly idleMs?: number;
}

/** Endpoints with `protocol: rest|websocket` (and no `tls: skip`) are inspected request by request. */
export function policyInterceptor(deps: L7Deps): Interceptor {
  return (t) => {
    if (!t.decision.inspect || !t.identity.ok) return null;
    const decide = policyDecider(deps.enforcer, t.identity, t.decision);
    return interceptTunnel(t, deps, { decide, ...(t.decision.endpoint.protocol === 'websocket' ? { upgraded: judgedWebSocket(deps, t, decide) } : {}) });
  };
}

/** `protocol: websocket`: each client text message is decided as `WEBSOCKET_TEXT` on the upgrade's path. */
export function judgedWebSocket(deps: Pick<L7Deps, 'events' | 'enforcer'>, t: TunnelInfo, decide: NonNullable<InspectHooks['decide']>): NonNullable<InspectHooks['upgraded']> {
  return (req, client, clientBytes, up, upBytes) => {
    let logged = false;
    const judge = (): { ok: boolean } => {
      const started = performance.now();
      const d = decide({ ...req, method: 'WEBSOCKET_TEXT', upgrade: false });
      // Every refusal is an event; of the allowed messages only the first, so a chatty socket does not flood the log.
      if (!d.ok || d.event.action === 'deny' || !logged) {
        logged = true;
        const path = (d.target ?? req.target).split('?')[0]!;
        logRequest(deps, t, { method: 'WEBSOCKET_TEXT', path, status: d.ok ? 0 : 1008, bytesIn: 0, bytesOut: 0, durationMs: performance.now() - started, event: d.event });
      }
      return { ok: d.ok };
    };
    return relayWebSocket(client, clientBytes, up, upBytes, () => (judge().ok ? { ok: true } : { ok: false }));
  };
}

/**
 * The reusable part: peek, terminate TLS with a leaf for the CONNECT host (plain HTTP is read as is),
 * run the hooks on every request, and log each one. Providers use it with only a `transform` hook.
 */
export function interceptTunnel(t: TunnelInfo, deps: L7Deps, hooks: InspectHooks): TunnelStage {
  return (client, upstream, head, done) => {
    const started = performance.now();
    const inAtStart = client.bytesWritten;
    let closed = 0;
    const finish = (): void => {
      if (++closed < 2) return;
      done({ bytesIn: client.bytesWritten - inAtStart, bytesOut: upstream.bytesWritten, durationMs: Math.round(performance.now() - started) });
    };
    client.once('close', finish);
    upstream.once('close', finish);
    client.on('error', () => client.destroy());
    upstream.on('error', () => upstream.destroy());
    client.setNoDelay(true);
    if (head.length > 0) client.unshift(head);
    const onRequest = (o: RequestOutcome): void => {
      logRequest(deps, t, o);
      hooks.onRequest?.(o);
    };
    void run(client, upstream, t, deps, { ...hooks, onRequest }).finally(() => {
      // An upstream never used (the first request was refused) is closed now, not left idle.
      if (!upstream.destroyed) upstream.end();
      // Whatever is left after the last exchange: a short grace for the final bytes to flush.
      setTimeout(() => (client.destroy(), upstream.destroy()), 5_000).unref();
    });
  };
}

async function run(client: Socket, upstream: Socket, t: TunnelInfo, deps: L7Deps, hooks: InspectHooks): Promise<void> {
  // Silence before the first byte: closed like an idle connection (FIN both ways; the grace timer reaps the rest).
  const first = await peek(client, ...(deps.idleMs === undefined ? [] : [deps.idleMs]));
  if (!first) return void (client.end(), upstream.end());
  const base = { host: t.host, port: t.port, idleMs: deps.idleMs, ...hooks };
  if (!isTlsHello(first)) {
    await inspect(client, { ...base, scheme: 'http', upstream: () => Promise.resolve(upstream) });
    return;
  }
  const context = deps.tls.secureContextFor(t.host) ?? ((await deps.tls.ready()) ? deps.tls.secureContextFor(t.host) : null);
  if (!context) {
    logRequest(deps, t, { method: '', path: '', status: 0, bytesIn: 0, bytesOut: 0, durationMs: 0, error: 'tls_unavailable', reason: 'this sandbox has no CA: TLS to an inspected endpoint cannot be terminated' });
    return void (client.destroy(), upstream.destroy());
  }
  // The upstream handshake runs while the agent's completes; its failure is answered as the first response.
  const secured: Promise<Duplex> = connectTls(upstream, t.host, deps.tls.upstreamContext()).catch((err: UpstreamTlsError) => {
    const { error, detail } = describeTlsFailure(err, t.host, t.port);
    throw new Refused(refusal(502, { error, detail, host: t.host, port: t.port }));
  });
  secured.catch(() => undefined);
  await inspect(acceptTls(client, context), { ...base, scheme: 'https', upstream: () => secured });
}

/** One `decision` event per request, with its outcome. */
export function logRequest(deps: Pick<L7Deps, 'events' | 'enforcer'>, t: TunnelInfo, o: RequestOutcome): void {
  const id = t.identity;
  const ev = o.event;
  const who = id.ok ? whoOf(id) : { binary: id.binary };
  deps.events.decision({
    layer: 'l7',
    ...who,
    host: t.host,
    port: t.port,
    ...(o.method ? { method: o.method } : {}),
    ...(o.path ? { path: o.path } : {}),
    action: ev?.action ?? (o.error ? 'deny' : 'allow'),
    rule: ev?.rule ?? t.decision.rule,
    reason: ev?.reason ?? o.reason ?? t.decision.reason,
    ...(ev?.error ?? o.error ? { error: ev?.error ?? o.error } : {}),
    ...(ev?.enforcement ? { enforcement: ev.enforcement } : {}),
    ...(ev?.ruleMissing ? { ruleMissing: ev.ruleMissing as never } : {}),
    ...(ev?.l7Rule === undefined ? {} : { l7Rule: ev.l7Rule }),
    ...(deps.enforcer.version === undefined ? {} : { policyVersion: deps.enforcer.version }),
    status: o.status,
    bytesIn: o.bytesIn,
    bytesOut: o.bytesOut,
    durationMs: Math.round(o.durationMs * 10) / 10,
    ...(o.upstreamMs === undefined ? {} : { upstreamMs: Math.round(o.upstreamMs * 100) / 100 }),
  });
}

function whoOf(id: Identity): { binary: string; pid: number; ancestors: readonly string[]; cmdline: readonly string[] } {
  return { binary: id.binary, pid: id.pid, ancestors: id.ancestors, cmdline: id.cmdline };
}
