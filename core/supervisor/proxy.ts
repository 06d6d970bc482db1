import { createServer, type Server } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { handleConnect, type TunnelDeps } from './connect.ts';
import { denyResponse } from './deny.ts';
import { handleHttp } from './forward.ts';
import { INFERENCE_HOST } from './inference/endpoint.ts';
import { ConnectFront, takeConnectionListener } from './connect-front.ts';
import { headSize, MAX_HTTP_HEAD, parseConnectTarget, parseRequestLine } from './head.ts';
import type { Endpoint, Identity, IdentityFailure, IdentityResult } from './identity.ts';

export { parseRequestLine, type ProxyRequest } from './head.ts';

const HEADERS_TIMEOUT_MS = 15_000;

export interface ProxyDeps extends TunnelDeps {
  readonly identify: (peer: Endpoint, proxy: Endpoint) => Promise<IdentityResult>;
  /** Checks, right after, that no unrelated process of another executable holds the socket. */
  readonly watchHolders?: (id: Identity, onShared: (failure: IdentityFailure) => void) => () => void;
}

/**
 * The egress proxy: a plain CONNECT head is read by the front (`connect-front.ts`), every other head by
 * Node's HTTP parser (keep-alive, size limits, malformed input); every CONNECT and absolute-form request
 * then goes through the admission pipeline. The caller is identified once per connection, when its
 * first request arrives: a descriptor handed to another process before that is seen (and refused as
 * ambiguous when the binaries differ).
 */
export function startProxy(listen: { host: string; port: number }, deps: ProxyDeps): Promise<Server> {
  const identities = new WeakMap<Socket, Promise<IdentityResult>>();
  const lastTarget = new WeakMap<Socket, { host: string; port: number }>();
  // Listening on one address, the proxy's end of every connection is known (no getsockname per connection).
  let local: Endpoint | null = null;
  const ends = (socket: Socket): [Endpoint, Endpoint] => [
    { ip: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
    local ?? { ip: socket.localAddress ?? listen.host, port: socket.localPort ?? listen.port },
  ];
  const identityOf = (socket: Socket): Promise<IdentityResult> => {
    let id = identities.get(socket);
    if (!id) {
      id = deps.identify(...ends(socket));
      identities.set(socket, id);
      void id.then((found) => {
        if (!found.ok || !deps.watchHolders || socket.destroyed) return;
        // Another binary holds this socket: later requests are refused, open tunnels are cut, and it is reported.
        const stop = deps.watchHolders(found, (failure) => {
          identities.set(socket, Promise.resolve(failure));
          const t = lastTarget.get(socket) ?? { host: '', port: 0 };
          const { binary, pid, ancestors, cmdline } = failure;
          deps.events.decision({ layer: 'l4', action: 'deny', binary, pid, ancestors, cmdline, ...t, rule: null, reason: failure.reason, error: failure.error });
          socket.destroy();
        });
        socket.once('close', stop);
      }, () => undefined); // a failed lookup is answered by the request's own handler
    }
    return id;
  };
  const remember = (socket: Socket, target: { host: string; port: number } | { error: string }): void => {
    if (!('error' in target)) lastTarget.set(socket, { host: target.host, port: target.port });
  };
  // Absolute-form requests name their host in the URL; a missing Host header is not the client's error here.
  const server = createServer({ requireHostHeader: false, maxHeaderSize: MAX_HTTP_HEAD, noDelay: true, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 0, keepAliveTimeout: 30_000 });
  const tunnel = (socket: Socket, target: string, headBytes: number, head: Buffer): void => {
    // Bytes after the head wait in the socket while the caller is identified; nobody else listens yet.
    socket.on('error', () => socket.destroy());
    socket.pause();
    remember(socket, parseConnectTarget(target));
    identityOf(socket)
      .then((id) => handleConnect(target, headBytes, socket, head, id, deps))
      .catch(() => socket.destroy());
  };
  // A plain CONNECT skips the HTTP server (connect-front.ts); the rest reaches it as before.
  const http = takeConnectionListener(server);
  const front = http ? new ConnectFront(http, (socket, req) => tunnel(socket, req.target, req.headBytes, req.head), HEADERS_TIMEOUT_MS) : null;
  // Accepted sockets already have TCP_NODELAY: net.Server sets it (`noDelay`) before 'connection'.
  if (front) server.on('connection', (socket: Socket) => front.accept(socket));
  server.on('connect', (req, socket: Socket, head: Buffer) => {
    const target = req.url ?? '';
    tunnel(socket, target, headSize(req.method ?? 'CONNECT', target, req.rawHeaders), head);
  });
  server.on('request', (req, res) => {
    const t = parseRequestLine(`${req.method ?? ''} ${req.url ?? ''}`);
    remember(req.socket, t);
    // http://inference.local is the privacy router's, whatever the network policy says.
    const inference = deps.inference && !('error' in t) && t.host === INFERENCE_HOST ? deps.inference : undefined;
    identityOf(req.socket)
      .then((id) => (inference ? inference.request(req, res, id, 'error' in t ? 80 : t.port) : handleHttp(req, res, id, deps)))
      .catch(() => res.destroy());
  });
  server.on('upgrade', (req, socket: Socket) => {
    socket.end(denyResponse(400, { error: 'bad_request', detail: 'protocol upgrades are not proxied as plain HTTP; use CONNECT' }));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    socket.end(
      denyResponse(tooLarge ? 431 : timeout ? 408 : 400, {
        error: tooLarge ? 'headers_too_large' : 'bad_request',
        detail: tooLarge ? `request head exceeds ${MAX_HTTP_HEAD} bytes` : `malformed request (${err.code ?? err.message})`,
      }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      const at = server.address();
      if (typeof at === 'object' && at && isIP(at.address) === 4 && at.address !== '0.0.0.0') local = { ip: at.address, port: at.port };
      resolve(server);
    });
  });
}
