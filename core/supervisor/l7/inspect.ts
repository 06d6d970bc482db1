import type { Duplex } from 'node:stream';
import { denyResponse } from '../deny.ts';
import { copyBody, rawRelay, readHead, relayResponse } from './exchange.ts';
import { parseRequestHead, serializeHead, type RequestHead } from './http.ts';
import { ByteReader, write } from './reader.ts';
import { Refused, refusal } from './refused.ts';
import type { Header, InspectedRequest, InspectHooks, RequestEventFields, Refusal } from './types.ts';

export { Refused, refusal } from './refused.ts';

/**
 * The inspection stage: HTTP/1.1 requests read one by one from the agent's side of a tunnel (decrypted
 * or plain), each decided and possibly rewritten by the hooks, then forwarded with its body streamed
 * through; the response is streamed back before the next request is read. A refusal answers with the
 * JSON deny body and closes, so nothing after a refused request is ever read as a request.
 */

export interface InspectOptions extends InspectHooks {
  /** The CONNECT target: the Host header must name it. */
  readonly host: string;
  readonly port: number;
  readonly scheme: 'http' | 'https';
  /** The upstream stream (verified TLS, or the plain socket); rejects with the refusal to send. */
  readonly upstream: () => Promise<Duplex>;
  /** Longest wait for the next request head (default L7_IDLE_MS); tests shorten it. */
  readonly idleMs?: number | undefined;
}

/**
 * How long an inspected keep-alive connection may sit between requests (or take to send one head)
 * before it is closed cleanly (TLS close_notify, then FIN, on both sides): an agent's forgotten pool
 * connections must not hold a tunnel, an upstream connection and a flow open forever.
 */
export const L7_IDLE_MS = 5 * 60_000;

const IDLE = Symbol('idle');

/** `pending`, or IDLE after `ms`; a head still on its way when the limit hits is abandoned. */
function withinIdle<T>(pending: Promise<T>, ms: number): Promise<T | typeof IDLE> {
  pending.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<typeof IDLE>((resolve) => (timer = setTimeout(() => resolve(IDLE), ms)));
  return Promise.race([pending, limit]).finally(() => clearTimeout(timer));
}

export interface InspectStats {
  readonly bytesIn: number;
  readonly bytesOut: number;
}

const NO_UPGRADE = new Set(['upgrade', 'http2-settings']);

const withoutQuery = (target: string): string => target.split('?')[0]!;

/** Host header → host and port; the port defaults to the scheme's. */
export function authorityOf(value: string, scheme: 'http' | 'https'): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value);
  if (!m) return null;
  const host = (m[1] ?? m[2]!).toLowerCase().replace(/\.$/, '');
  return { host, port: m[3] === undefined ? (scheme === 'https' ? 443 : 80) : Number(m[3]) };
}

export async function inspect(client: Duplex, opts: InspectOptions): Promise<InspectStats> {
  const cr = new ByteReader(client);
  let up: Duplex | null = null;
  let ur: ByteReader | null = null;
  let bytesIn = 0;
  let bytesOut = 0;
  let idle = false;
  const refuse = (r: Refusal): void => {
    const text = denyResponse(r.status, r.body);
    bytesIn += Buffer.byteLength(text);
    client.end(text);
  };
  try {
    for (;;) {
      const started = performance.now();
      let req: RequestHead | null = null;
      let path = '';
      let event: RequestEventFields | undefined;
      let info: InspectedRequest | null = null;
      try {
        idle = true;
        const head = await withinIdle(readHead(cr), opts.idleMs ?? L7_IDLE_MS);
        if (head === IDLE) break;
        idle = false;
        if (!head) break;
        const parsed = parseRequestHead(head);
        if ('error' in parsed) throw new Refused(refusal(parsed.status, { error: 'bad_request', detail: parsed.error }));
        req = parsed;
        path = req.target;
        const sent = checkAuthority(req, opts);
        info = {
          method: req.method.toUpperCase(),
          target: req.target,
          forwardTarget: req.target,
          headers: req.headers,
          host: opts.host,
          port: opts.port,
          scheme: opts.scheme,
          upgrade: req.websocket,
        };
        if (opts.decide) {
          const d = opts.decide(info);
          event = d.event;
          if (d.target !== undefined) path = d.target;
          if (!d.ok) throw new Refused(d, d.event);
          if (d.target !== undefined) info = { ...info, forwardTarget: d.target };
        }
        path = info.forwardTarget;
        let headers: readonly Header[] = sent;
        // What goes upstream may carry a secret (a query credential); events keep `path`, the target before it.
        let sendTarget = path;
        if (opts.transform) {
          const t = await opts.transform(info);
          if (!t.ok) throw new Refused(t, event);
          headers = t.headers;
          if (t.target !== undefined) sendTarget = t.target;
        }
        if (!up) {
          up = await opts.upstream().catch((err: unknown) => {
            throw err instanceof Refused ? err : new Refused(refusal(502, { error: 'upstream_unreachable', detail: String(err) }));
          });
          ur = new ByteReader(up);
          // An upstream that closes an idle keep-alive connection: the agent's side is ended too (it reconnects).
          up.once('end', () => idle && client.end());
        }
        const forwarded = performance.now();
        const headBytes = serializeHead(`${req.method} ${sendTarget} HTTP/${req.version}`, headers);
        await write(up, headBytes);
        let reqBytes = headBytes.length;
        const body = copyBody(cr, up, req.framing, 'request').then((n) => (reqBytes += n));
        // A refused body (bad chunk framing) ends the exchange at once, even while a response streams.
        const bodyFailed = body.then(() => new Promise<never>(() => undefined));
        const res = await Promise.race([relayResponse(ur!, client, req.method, req.websocket), bodyFailed]);
        bytesIn += res.bytes;
        if (res.keepAlive && req.keepAlive && !res.upgraded) await body;
        else void body.catch(() => undefined);
        bytesOut += reqBytes;
        opts.onRequest?.({
          method: req.method.toUpperCase(),
          path: withoutQuery(path),
          status: res.status,
          bytesIn: res.bytes,
          bytesOut: reqBytes,
          upstreamMs: res.headAt - forwarded,
          durationMs: performance.now() - started,
          ...(event ? { event } : {}),
        });
        if (res.upgraded) {
          const rest = [client, cr.take(cr.buffered.length), up, ur!.take(ur!.buffered.length)] as const;
          await (opts.upgraded ? opts.upgraded(info, ...rest) : rawRelay(...rest));
          break;
        }
        if (!res.keepAlive || !req.keepAlive) break;
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        refuse(err.refusal);
        opts.onRequest?.({
          method: req?.method.toUpperCase() ?? '',
          path: withoutQuery(path),
          status: err.refusal.status,
          bytesIn: 0,
          bytesOut: 0,
          durationMs: performance.now() - started,
          ...(err.event ? { event: err.event } : { error: err.refusal.body.error, reason: err.refusal.body.detail }),
        });
        break;
      }
    }
  } catch {
    client.destroy();
    up?.destroy();
  } finally {
    if (!client.destroyed && client.writable) client.end();
    if (up && !up.destroyed) up.end();
  }
  return { bytesIn, bytesOut };
}

/** The Host header must name the CONNECT target; the SNI is never consulted. Returns the headers to send. */
function checkAuthority(req: RequestHead, opts: InspectOptions): readonly Header[] {
  if (!req.target.startsWith('/') && !(req.method === 'OPTIONS' && req.target === '*'))
    throw new Refused(refusal(400, { error: 'bad_request', detail: 'requests in a tunnel must use origin-form targets (`/path`)' }));
  if (req.host === null) return req.websocket ? req.headers : req.headers.filter(([k]) => !NO_UPGRADE.has(k.toLowerCase()));
  const a = authorityOf(req.host, opts.scheme);
  if (!a || a.host !== opts.host.toLowerCase() || a.port !== opts.port) {
    const message = `the request names \`${req.host.slice(0, 100)}\` but the tunnel was opened to ${opts.host}:${opts.port}`;
    throw new Refused(refusal(403, { error: 'request_authority_mismatch', detail: message, message, host: opts.host, port: opts.port }));
  }
  // Only WebSocket may switch protocols: an `h2c` offer would carry requests nobody inspects.
  return req.websocket ? req.headers : req.headers.filter(([k]) => !NO_UPGRADE.has(k.toLowerCase()));
}

