import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { handleConnect, type TunnelDeps } from './connect.ts';
import { denyResponse } from './deny.ts';
import { handleHttp } from './forward.ts';
import { MAX_HTTP_HEAD } from './head.ts';
import type { Endpoint, IdentityResult } from './identity.ts';

export { parseRequestLine, type ProxyRequest } from './head.ts';

export interface ProxyDeps extends TunnelDeps {
  readonly identify: (peer: Endpoint, proxy: Endpoint) => Promise<IdentityResult>;
}

/**
 * The egress proxy: Node's HTTP parser reads heads (keep-alive, size limits, malformed input); every
 * CONNECT and absolute-form request then goes through the admission pipeline. The caller is identified
 * once per connection, when its first request arrives: a descriptor handed to another process before
 * that is seen (and refused as ambiguous when the binaries differ).
 */
export function startProxy(listen: { host: string; port: number }, deps: ProxyDeps): Promise<Server> {
  const identities = new WeakMap<Socket, Promise<IdentityResult>>();
  const identityOf = (socket: Socket): Promise<IdentityResult> => {
    let id = identities.get(socket);
    if (!id) {
      id = deps.identify(
        { ip: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
        { ip: socket.localAddress ?? listen.host, port: socket.localPort ?? listen.port },
      );
      identities.set(socket, id);
    }
    return id;
  };
  // Absolute-form requests name their host in the URL; a missing Host header is not the client's error here.
  const server = createServer({ requireHostHeader: false, maxHeaderSize: MAX_HTTP_HEAD, noDelay: true, headersTimeout: 15_000, requestTimeout: 0, keepAliveTimeout: 30_000 });
  server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  server.on('connect', (req, socket: Socket, head: Buffer) => {
    // Bytes after the head wait in the socket while the caller is identified.
    socket.pause();
    identityOf(socket)
      .then((id) => handleConnect(req, socket, head, id, deps))
      .catch(() => socket.destroy());
  });
  server.on('request', (req, res) => {
    identityOf(req.socket)
      .then((id) => handleHttp(req, res, id, deps))
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
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}
