import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createRouter, type InferenceCall } from '../../inference/router.ts';
import type { EventSink } from '../events.ts';
import { MAX_HTTP_HEAD, originForm } from '../head.ts';
import { sendDeny, type DenyBody } from '../deny.ts';
import type { IdentityFailure, IdentityResult } from '../identity.ts';
import type { TlsAuthority } from '../tls/authority.ts';
import { acceptTls, isTlsHello, peek } from '../tls/terminate.ts';
import { InferenceConfigWatcher } from './config-watch.ts';
import { fileSpendMeter } from './spend-file.ts';

/** The host the agent's SDKs are pointed at; answered by the router, never dialed. */
export const INFERENCE_HOST = 'inference.local';

export interface InferenceEndpointDeps {
  readonly stateDir: string;
  readonly tls: TlsAuthority;
  readonly events: EventSink;
}

/**
 * `inference.local` inside the supervisor: CONNECT tunnels (TLS terminated with the sandbox CA's leaf
 * for inference.local, or plain HTTP) and absolute-form `http://inference.local/…` requests are fed to
 * the privacy router, before and instead of policy evaluation. Each call is one `decision` event with
 * `layer: "inference"`.
 */
export class InferenceEndpoint {
  private readonly server: Server;
  private readonly watcher: InferenceConfigWatcher;
  private readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Who opened each tunnel (keyed by the socket the HTTP server reads) or sent each proxied request. */
  private readonly callers = new WeakMap<object, { identity: IdentityResult; port: number }>();

  constructor(private readonly deps: InferenceEndpointDeps) {
    this.watcher = new InferenceConfigWatcher(deps.stateDir, (line) => deps.events.line({ type: 'inference', ...line }));
    this.handler = createRouter({
      config: () => this.watcher.config,
      credential: (b) => this.watcher.credential(b),
      spend: fileSpendMeter(deps.stateDir),
      emit: (call, req) => this.record(call, req),
      // Backends are verified like intercepted upstreams: public roots plus `gateway start --upstream-ca`.
      trust: () => deps.tls.upstreamContext(),
    });
    this.server = createServer({ maxHeaderSize: MAX_HTTP_HEAD, requestTimeout: 0, headersTimeout: 15_000, keepAliveTimeout: 30_000, noDelay: true }, this.handler);
    this.server.on('clientError', (_err, socket: Socket) => socket.destroy());
  }

  start(): void {
    this.watcher.start();
  }

  stop(): void {
    this.watcher.stop();
    this.server.close();
  }

  /**
   * `CONNECT inference.local:<port>`: answered 200 whatever the policy, then served by the router —
   * unless the caller could not be identified (unknown, ambiguous, tampered binary): refused with 403
   * and the reason, as the L4 path refuses them. The router is reachable whatever the policy, which
   * makes identity the only check on who spends the budget and sends prompts out.
   */
  async connect(client: Socket, head: Buffer, identity: IdentityResult, port: number): Promise<void> {
    client.on('error', () => client.destroy());
    if (!identity.ok) return sendDeny(client, 403, this.refuseIdentity(identity, 'CONNECT', port));
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) client.unshift(head);
    const first = await peek(client);
    if (!first) return void client.destroy();
    let socket: Socket = client;
    if (isTlsHello(first)) {
      const context = this.deps.tls.secureContextFor(INFERENCE_HOST);
      if (!context) {
        this.deps.events.decision({ layer: 'inference', action: 'deny', ...who(identity), host: INFERENCE_HOST, port, rule: null, reason: 'this sandbox has no CA: TLS to inference.local cannot be terminated', error: 'tls_unavailable' });
        return void client.destroy();
      }
      socket = acceptTls(client, context);
      socket.on('error', () => socket.destroy());
    }
    this.callers.set(socket, { identity, port });
    this.server.emit('connection', socket);
    client.resume();
  }

  /** `POST http://inference.local/v1/…` through the proxy: the same router, in origin form. */
  request(req: IncomingMessage, res: ServerResponse, identity: IdentityResult, port: number): void {
    if (!identity.ok) {
      const body = JSON.stringify(this.refuseIdentity(identity, req.method ?? '', port, originForm(req.url ?? '/').split('?')[0]));
      res.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
      req.resume();
      return;
    }
    req.url = originForm(req.url ?? '/');
    this.callers.set(req, { identity, port });
    this.handler(req, res);
  }

  /** The deny event and body for a caller whose identity failed (never its command line: it may hold a prompt). */
  private refuseIdentity(identity: IdentityFailure, method: string, port: number, path?: string): DenyBody {
    const detail = `${method} inference.local${path ?? `:${port}`} not permitted: ${identity.reason}`;
    this.deps.events.decision({
      layer: 'inference',
      action: 'deny',
      ...who(identity),
      host: INFERENCE_HOST,
      port,
      ...(method ? { method } : {}),
      ...(path === undefined ? {} : { path }),
      rule: null,
      reason: identity.reason,
      error: identity.error,
    });
    return { error: identity.error, detail, reason: identity.reason, binary: identity.binary, host: INFERENCE_HOST, port };
  }

  private record(call: InferenceCall, req: IncomingMessage): void {
    const caller = this.callers.get(req) ?? this.callers.get(req.socket);
    const d = call.details;
    this.deps.events.decision({
      layer: 'inference',
      action: call.action,
      ...(caller ? who(caller.identity) : { binary: '' }),
      host: INFERENCE_HOST,
      port: caller?.port ?? 443,
      method: call.method,
      path: call.path,
      rule: d.backend ?? null,
      reason: call.reason,
      ...(call.error === undefined ? {} : { error: call.error }),
      durationMs: d.latencyMs,
      inference: d,
    });
  }
}

/** The caller without its command line: prompts are often passed as arguments (`curl -d …`), and no prompt text may reach an event. */
function who(id: IdentityResult): { binary: string; pid?: number; ancestors?: readonly string[] } {
  return {
    binary: id.binary,
    ...(id.pid === undefined ? {} : { pid: id.pid }),
    ...(id.ancestors === undefined ? {} : { ancestors: id.ancestors }),
  };
}
