// How HttpGateway reaches its server: HTTPS requests and WebSockets, each written only after the peer is verified.
import type { Agent } from 'node:https';
import { request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import { OpenshellError, RemoteError } from '../../errors.ts';
import { JSON_TYPE } from './respond.ts';
import { pinnedAgent, verifiedConnect, type PeerTrust } from './tls-pin.ts';
import { fromWire, isWireError } from './wire.ts';

const CONNECT_TIMEOUT_MS = 15_000;

/** One served gateway as seen by its client: where it is, how it is trusted, and the token for it alone. */
export class Endpoint {
  readonly base: URL;
  readonly agent: Agent;

  constructor(
    readonly name: string,
    url: string,
    private readonly token: string,
    readonly trust: PeerTrust,
  ) {
    this.base = new URL(url);
    if (this.base.protocol !== 'https:') throw new RemoteError(`gateway URL must start with https:// (got ${url})`, { exitCode: 2 });
    this.agent = pinnedAgent(trust);
  }

  /** A path of this gateway only: the token is never sent to another origin (no redirects are followed). */
  url(path: string, query: Record<string, string | undefined> = {}): URL {
    const u = new URL(path, this.base.origin);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
    return u;
  }

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  /** A transport failure in the user's terms. */
  failure(err: unknown): Error {
    if (err instanceof OpenshellError) return err;
    const code = (err as NodeJS.ErrnoException | null)?.code;
    const reason =
      code === 'ECONNREFUSED' ? 'connection refused'
      : code === 'ECONNRESET' ? 'connection reset'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'unknown host'
      : code === 'ETIMEDOUT' || code === 'TIMEOUT' ? 'timed out'
      : code === 'ERR_SSL_WRONG_VERSION_NUMBER' ? 'it does not speak TLS there (plain HTTP?)'
      : (err as Error | null)?.message ?? String(err);
    const tls = typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
    return new RemoteError(`cannot reach gateway ${this.name} at ${this.base.origin}: ${reason}`, {
      exitCode: 3,
      cause: err,
      hint: tls
        ? 'its certificate is not trusted here; register it with its fingerprint (`openshell gateway add URL` shows it)'
        : 'is `openshell gateway serve` running there?',
    });
  }

  /** The error a non-2xx answer carries (our JSON error, a 401, or something that is not a gateway). */
  async answerError(res: IncomingMessage): Promise<Error> {
    const text = await readText(res);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const type = res.headers['content-type'] ?? '';
    const status = res.statusCode ?? 0;
    if (status === 401) {
      const detail = (body as { detail?: unknown } | undefined)?.detail;
      return new RemoteError(`gateway ${this.name} did not accept the token${typeof detail === 'string' ? ` (${detail})` : ''}`, {
        exitCode: 3,
        hint: `sign in again: \`openshell gateway login ${this.name}\``,
      });
    }
    const error = (body as { error?: unknown } | undefined)?.error;
    if (type.startsWith(JSON_TYPE) && isWireError(error)) return fromWire(error);
    return new RemoteError(`${this.base.origin} did not answer as an openshell gateway (HTTP ${status})`, {
      exitCode: 3,
      hint: 'the URL should be what `openshell gateway serve` printed',
    });
  }

  /** One HTTPS request; resolves with the response once its status is 2xx. */
  send(method: string, url: URL, body: { json?: unknown; stream?: Readable; headers?: Record<string, string> }, signal?: AbortSignal): Promise<IncomingMessage> {
    const stale = (err: unknown): boolean => (err as { stale?: boolean } | null)?.stale === true;
    return this.attempt(method, url, body, signal)
      .catch((err: unknown) => {
        // A pooled connection the server had just closed: the request never arrived, so sending it again is safe.
        if (stale(err) && body.stream === undefined) return this.attempt(method, url, body, signal);
        throw err;
      })
      .catch((err: unknown) => {
        throw stale(err) ? this.failure(err) : err;
      });
  }

  private attempt(method: string, url: URL, body: { json?: unknown; stream?: Readable; headers?: Record<string, string> }, signal?: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const json = body.json === undefined ? undefined : JSON.stringify(body.json);
      const req = request(url, {
        method,
        agent: this.agent,
        headers: {
          ...this.headers,
          ...(json === undefined ? {} : { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(json)) }),
          ...body.headers,
        },
        ...(signal ? { signal } : {}),
      });
      // Only the wait for a verified connection is bounded: a long call (create, logs -f) may take its time.
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })), CONNECT_TIMEOUT_MS);
      req.once('socket', () => clearTimeout(timer));
      let answered = false;
      req.on('error', (err) => {
        clearTimeout(timer);
        if (signal?.aborted) return reject(err);
        const stale = req.reusedSocket && !answered && (err as NodeJS.ErrnoException).code === 'ECONNRESET';
        reject(stale ? Object.assign(err, { stale: true }) : this.failure(err));
      });
      req.on('response', (res) => {
        answered = true;
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(res);
        else void this.answerError(res).then(reject);
      });
      if (body.stream) {
        body.stream.on('error', (err) => req.destroy(err));
        body.stream.pipe(req);
      } else req.end(json);
    });
  }

  /** A WebSocket to `path`, open (or rejected with the server's error: 401, not found, …). */
  socket(path: string, query: Record<string, string | undefined> = {}, opts: { unref?: boolean } = {}): Promise<WebSocket> {
    const url = this.url(path, query);
    url.protocol = 'wss:';
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers: this.headers,
        createConnection: verifiedConnect(this.trust) as never,
        handshakeTimeout: CONNECT_TIMEOUT_MS,
        perMessageDeflate: false,
      });
      let settled = false;
      // A feed that must not keep the process alive lets go of its socket as soon as it exists.
      if (opts.unref) ws.once('upgrade', (res) => res.socket.unref());
      ws.once('open', () => {
        settled = true;
        resolve(ws);
      });
      ws.once('unexpected-response', (_req, res) => {
        settled = true;
        void this.answerError(res).then(reject);
        ws.terminate();
      });
      ws.once('error', (err) => {
        if (!settled) reject(this.failure(err));
        settled = true;
      });
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
