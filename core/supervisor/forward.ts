import { request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { admit } from './admit.ts';
import { trackFlow } from './flows.ts';
import type { TunnelDeps } from './connect.ts';
import type { DenyBody } from './deny.ts';
import { endToEndHeaders, parseRequestLine, originForm } from './head.ts';
import type { IdentityResult } from './identity.ts';
import { poolFor } from './upstream-pool.ts';
import { checkForwarded } from './l7/forward-check.ts';

/**
 * Absolute-form plain HTTP (`GET http://host/path`): each request is admitted on its own (the client
 * connection stays keep-alive), sent upstream in origin form over a freshly dialed, checked address.
 */
export async function handleHttp(req: IncomingMessage, res: ServerResponse, identity: IdentityResult, deps: TunnelDeps): Promise<void> {
  const target = req.url ?? '';
  const parsed = parseRequestLine(`${req.method ?? ''} ${target}`);
  if ('error' in parsed) return reply(res, 400, { error: 'bad_request', detail: parsed.error });
  const { host, port } = parsed;
  const path = originForm(target);
  // A credential placeholder never travels in clear, and never reaches a host at all: refused before dialing.
  const refused = deps.plainGuard?.({ host, port, method: parsed.method, path, rawHeaders: req.rawHeaders, identity });
  if (refused) return reply(res, refused.status, refused.body);
  // Admitted like any request; the dial stage may reuse this client connection's idle upstream connection.
  const pool = poolFor(req.socket, deps.flows);
  const a = await admit({ what: `${parsed.method} ${target}`, host, port, method: parsed.method, path, identity }, { ...deps, dial: pool.dialer(host, deps.dial) });
  if (!a.ok) return reply(res, a.status, a.body);
  // REST endpoints: the request itself is decided and goes upstream with its canonical path.
  const l7 = a.decision.inspect && identity.ok ? checkForwarded(deps, identity, a.decision, { host, port, method: parsed.method, target: path, hostHeader: req.headers.host }) : null;
  if (l7 && !l7.ok) {
    a.upstream.destroy();
    return reply(res, l7.status, l7.body);
  }
  const started = performance.now();
  let bytesIn = 0;
  const outAtStart = a.upstream.bytesWritten;
  const target4 = { host, port, ip: a.ip, binary: identity.binary, ancestors: identity.ancestors ?? [] };
  const flow = trackFlow(deps.flows, target4, [a.upstream, req.socket]);
  const done = (): void => {
    flow.unregister();
    const revoked = flow.revoked();
    if (l7?.ok) l7.finish({ status: res.statusCode, bytesIn, bytesOut: a.upstream.bytesWritten - outAtStart });
    deps.events.flowEnd(a.seq, {
      bytesIn,
      bytesOut: a.upstream.bytesWritten - outAtStart,
      durationMs: Math.round(performance.now() - started),
      ...(revoked === undefined ? {} : { reason: revoked }),
    });
  };
  const upstreamReq = request({
    createConnection: () => a.upstream,
    method: parsed.method,
    path: l7?.ok ? l7.target : path,
    // Upstream keep-alive only while the client's connection stays open (no `Connection: close`, not HTTP/1.0).
    headers: { ...toHeaderObject(endToEndHeaders(req.rawHeaders)), connection: res.shouldKeepAlive ? 'keep-alive' : 'close' },
    setHost: false,
  });
  upstreamReq.on('response', (up) => {
    res.writeHead(up.statusCode ?? 502, up.statusMessage, toHeaderObject(endToEndHeaders(up.rawHeaders)));
    up.on('data', (c: Buffer) => (bytesIn += c.length));
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstreamReq.on('error', (err) => {
    if (!res.headersSent) reply(res, 502, { error: 'upstream_unreachable', detail: `connection to ${host}:${port} failed (${err.message})` });
    else res.destroy();
  });
  // Node's client emits `free` when the response is complete and the upstream allows reuse.
  let freed = false;
  a.upstream.once('free', () => {
    freed = true;
    if (res.shouldKeepAlive && !res.destroyed) pool.release(target4, a.upstream);
    else a.upstream.destroy();
  });
  res.once('close', () => {
    done();
    // `free` comes (on the next tick) before a complete response's close; anything else is not reusable.
    if (!res.writableFinished) a.upstream.destroy();
    else setImmediate(() => freed || a.upstream.destroy());
  });
  req.pipe(upstreamReq);
}

/** Raw pairs → a header object; repeated names become arrays, first spelling kept. */
function toHeaderObject(pairs: readonly string[]): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  const names = new Map<string, string>();
  for (let i = 0; i < pairs.length; i += 2) {
    const lower = pairs[i]!.toLowerCase();
    const name = names.get(lower) ?? pairs[i]!;
    names.set(lower, name);
    const prev = out[name];
    out[name] = prev === undefined ? pairs[i + 1]! : [...(Array.isArray(prev) ? prev : [prev]), pairs[i + 1]!];
  }
  return out;
}

/** Proxy errors close the connection (upstream's behaviour), with the JSON deny body. */
export function reply(res: ServerResponse, status: number, body: DenyBody): void {
  const json = JSON.stringify(body);
  res.shouldKeepAlive = false;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), Connection: 'close' });
  res.end(json);
}
