import { request } from 'node:https';
import { connect as tlsConnect, checkServerIdentity, type PeerCertificate } from 'node:tls';
import { RemoteError } from '../../errors.ts';
import { fingerprintOf, pinnedAgent, type PeerTrust } from './tls-pin.ts';

const TIMEOUT_MS = 15_000;

export interface AuthResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One-line errors for the ways reaching a gateway fails. */
export function unreachable(url: string, err: unknown): RemoteError {
  if (err instanceof RemoteError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EPROTO' || code?.startsWith('ERR_SSL') === true) return notAGateway(url, 'it does not answer TLS on that port');
  const reason =
    code === 'ECONNREFUSED' ? 'connection refused'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'unknown host'
    : code === 'ETIMEDOUT' || code === 'TIMEOUT' ? 'timed out'
    : (err as Error).message;
  return new RemoteError(`cannot reach the gateway at ${url}: ${reason}`, {
    exitCode: 3,
    cause: err,
    hint: 'check the URL and that `openshell gateway serve` runs there',
  });
}

/**
 * A JSON request to a served gateway's `/auth/*`, written only after the peer passed the pin (or CA)
 * check: a token or a code verifier never reaches an unverified server.
 */
export function authRequest(
  baseUrl: string,
  trust: PeerTrust,
  opts: { method: 'GET' | 'POST'; path: string; fields?: Record<string, string>; token?: string },
): Promise<AuthResponse> {
  const target = new URL(opts.path, baseUrl);
  const payload = opts.fields === undefined ? undefined : JSON.stringify(opts.fields);
  const agent = pinnedAgent(trust, { keepAlive: false });
  return new Promise<AuthResponse>((resolve, reject) => {
    const req = request(target, {
      method: opts.method,
      agent,
      timeout: TIMEOUT_MS,
      headers: {
        accept: 'application/json',
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
      },
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    req.on('error', (err) => reject(unreachable(baseUrl, err)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => reject(unreachable(baseUrl, err)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          reject(notAGateway(baseUrl, `${opts.method} ${target.pathname} answered ${res.statusCode ?? 0} without JSON`));
          return;
        }
        resolve({ status: res.statusCode ?? 0, body: body as Record<string, unknown> });
      });
    });
    req.end(payload);
  }).finally(() => agent.destroy());
}

export const notAGateway = (url: string, why: string): RemoteError =>
  new RemoteError(`${url} is not an openshell gateway (${why})`, { exitCode: 3, hint: 'the URL should be what `openshell gateway serve` prints' });

/** What a TLS handshake shows about a server before we trust it: its certificate and whether a CA vouches for it. */
export interface ServerIdentity {
  readonly fingerprint: string;
  /** True when the system CAs accept the chain and the certificate names this host. */
  readonly caTrusted: boolean;
  readonly subject: string;
  readonly validTo: string;
}

/** Handshakes without sending anything, to show the user the certificate (like ssh's first connect). */
export function peekCertificate(baseUrl: string): Promise<ServerIdentity> {
  const u = new URL(baseUrl);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  return new Promise<ServerIdentity>((resolve, reject) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, ...(isIpLike(host) ? {} : { servername: host }), timeout: TIMEOUT_MS });
    socket.once('timeout', () => socket.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    socket.once('error', (err) => reject(unreachable(baseUrl, err)));
    socket.once('secureConnect', () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      const caTrusted = socket.authorized && checkServerIdentity(host, cert) === undefined;
      const subject = typeof cert.subject?.CN === 'string' ? cert.subject.CN : '';
      resolve({ fingerprint: fingerprintOf(cert.raw), caTrusted, subject, validTo: cert.valid_to });
      socket.end();
    });
  });
}

const isIpLike = (host: string): boolean => /^[\d.]+$/.test(host) || host.includes(':');
