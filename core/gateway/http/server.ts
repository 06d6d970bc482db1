// `gateway serve`: the gateway core over HTTPS. Routing, the 401 gate, request logs and a graceful close.
//
//   GET  /healthz                          open: `{"ok":true,"service":"openshell-gateway"}`
//   *    /auth/…                           the sign-in service (auth.ts), open
//   POST /api/v1/<method>                  the JSON methods of the RPC table (rpc.ts)
//   POST /api/v1/logs | download | upload  bodies that stream (files.ts)
//   GET  /api/v1/stream | events | traffic WebSockets: exec/attach (streams.ts), the bus and traffic (feeds.ts)
//
// Everything under /api/ (upgrades included) passes `auth.verify` first, or is answered 401 and not run.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { NotFoundError } from '../../errors.ts';
import type { Gateway } from '../types.ts';
import { EventFeed, parseTrafficQuery, serveTraffic } from './feeds.ts';
import { serveDownload, serveLogs, serveUpload } from './files.ts';
import { sendError, sendJson } from './respond.ts';
import { RPC_PREFIX, serveRpc } from './rpc.ts';
import { serveStream } from './streams.ts';

/** The part of the auth service (core/gateway/http/auth.ts) the server needs. */
export interface RequestAuth {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  verify(req: IncomingMessage): { ok: true; tokenId: string; subject: string } | { ok: false; reason: string };
  close(): void;
}

export interface GatewayServerOptions {
  /** The served gateway (its bus is shared by every client's event feed). */
  readonly gateway: Gateway;
  /** A gateway object with a bus of its own, for one client's traffic watch. */
  readonly watcher: () => Gateway;
  readonly auth: RequestAuth;
  readonly tls: { readonly cert: string; readonly key: string };
  /** One line per request (never a token, never a query string). */
  readonly log?: (line: string) => void;
}

export const SERVICE = 'openshell-gateway';
type BodyRoute = (g: Gateway, req: IncomingMessage, res: ServerResponse, q: URLSearchParams) => Promise<void>;
const BODY_ROUTES: Readonly<Record<string, BodyRoute>> = { logs: serveLogs, download: serveDownload, upload: serveUpload };
const CLOSE_GRACE_MS = 10_000;
const PING_MS = 20_000;

export class GatewayServer {
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly feed: EventFeed;
  private readonly inFlight = new Set<ServerResponse>();
  private readonly ping: NodeJS.Timeout;

  constructor(private readonly opts: GatewayServerOptions) {
    this.feed = new EventFeed(opts.gateway);
    this.server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => void this.request(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    // A client that vanished without a close is noticed and its watches stopped.
    const alive = new WeakSet<WebSocket>();
    this.ping = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (!alive.has(ws)) ws.terminate();
        alive.delete(ws);
        ws.ping();
      }
    }, PING_MS).unref();
    this.wss.on('connection', (ws: WebSocket) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
    });
  }

  /** Listens; resolves with the base URL clients use (`https://host:port`). */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const a = this.server.address() as AddressInfo;
        resolve(`https://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
      });
    });
  }

  private log(req: IncomingMessage, status: number | string, started: number, subject?: string, peer = req.socket.remoteAddress): void {
    const path = (req.url ?? '/').split('?')[0];
    const who = subject === undefined ? '' : ` ${subject}`;
    this.opts.log?.(`${new Date().toISOString()} ${peer ?? '-'} ${req.method ?? '-'} ${path} ${status} ${Date.now() - started}ms${who}`);
  }

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let subject: string | undefined;
    this.inFlight.add(res);
    res.on('close', () => {
      this.inFlight.delete(res);
      this.log(req, res.statusCode, started, subject);
    });
    const url = new URL(req.url ?? '/', 'https://gateway.invalid');
    try {
      if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true, service: SERVICE });
      if (url.pathname.startsWith('/auth/')) {
        if (!(await this.opts.auth.handle(req, res, url))) sendJson(res, 404, { error: 'not found' });
        return;
      }
      if (!url.pathname.startsWith(RPC_PREFIX)) return sendJson(res, 404, { error: 'not found' });
      const v = this.opts.auth.verify(req);
      if (!v.ok) return unauthorized(res, v.reason);
      subject = v.subject;
      const method = url.pathname.slice(RPC_PREFIX.length);
      const g = this.opts.gateway;
      const body = Object.hasOwn(BODY_ROUTES, method) ? BODY_ROUTES[method] : undefined;
      if (body) return await body(g, req, res, url.searchParams);
      await serveRpc(g, method, req, res);
    } catch (err) {
      sendError(res, err);
    }
  }

  /** Streams: checked like any API call before the WebSocket handshake is answered. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'https://gateway.invalid');
    const route = url.pathname.slice(RPC_PREFIX.length);
    const v = this.opts.auth.verify(req);
    if (!v.ok) {
      rawAnswer(socket, 401, { error: 'unauthorized', detail: v.reason });
      return this.log(req, 401, started);
    }
    if (!url.pathname.startsWith(RPC_PREFIX) || !['stream', 'events', 'traffic'].includes(route)) {
      rawAnswer(socket, 404, { error: { name: NotFoundError.name, message: `no such stream ${url.pathname}`, exitCode: 2 } });
      return this.log(req, 404, started, v.subject);
    }
    // Taken now: once the stream is over, the socket no longer knows its peer.
    const peer = req.socket.remoteAddress;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.wss.emit('connection', ws, req);
      ws.on('close', () => this.log(req, 101, started, v.subject, peer));
      if (route === 'stream') serveStream(this.opts.gateway, ws);
      else if (route === 'events') this.feed.add(ws, { boot: url.searchParams.get('boot'), ...sinceOf(url) });
      else serveTraffic(this.opts.watcher(), ws, parseTrafficQuery(url.searchParams));
    });
  }

  /** Stops accepting, says goodbye to streams (1001), lets calls in flight finish for a while, then cuts. */
  async close(): Promise<void> {
    clearInterval(this.ping);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const ws of this.wss.clients) ws.close(1001, 'gateway shutting down');
    this.feed.close();
    this.server.closeIdleConnections();
    const grace = setTimeout(() => {
      for (const ws of this.wss.clients) ws.terminate();
      this.server.closeAllConnections();
    }, CLOSE_GRACE_MS);
    // Log follows never finish on their own: end them now.
    for (const res of this.inFlight) if ((res.getHeader('content-type') ?? '').toString().startsWith('text/plain')) res.destroy();
    await closed;
    clearTimeout(grace);
    this.opts.auth.close();
  }
}

const sinceOf = (url: URL): { since?: number } => {
  const s = Number(url.searchParams.get('since') ?? Number.NaN);
  return Number.isInteger(s) ? { since: s } : {};
};

function unauthorized(res: ServerResponse, reason: string): void {
  res.setHeader('WWW-Authenticate', 'Bearer');
  sendJson(res, 401, { error: 'unauthorized', detail: reason });
}

/** An HTTP answer written on a socket that asked for an upgrade, which is then closed. */
function rawAnswer(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const reason = status === 401 ? 'Unauthorized' : 'Not Found';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
      `${status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}Connection: close\r\n\r\n${text}`,
  );
  (socket as Socket).destroySoon?.();
}
