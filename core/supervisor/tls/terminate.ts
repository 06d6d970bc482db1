import { isIP, type Socket } from 'node:net';
import { connect, TLSSocket, type SecureContext } from 'node:tls';

/**
 * Both TLS ends of an intercepted tunnel: the agent's side terminated with our leaf, the upstream's
 * side a fresh, verified TLS connection over the socket the admission stage dialed.
 */

const PEEK_TIMEOUT_MS = 30_000;

/** The first bytes the client sends in the tunnel (put back for the next reader); null if it closed first. */
export function peek(client: Socket, timeoutMs = PEEK_TIMEOUT_MS): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const done = (b: Buffer | null): void => {
      clearTimeout(timer);
      client.off('readable', onReadable);
      client.off('end', onEnd);
      client.off('close', onEnd);
      if (b) client.unshift(b);
      resolve(b);
    };
    const onReadable = (): void => {
      const b = client.read() as Buffer | null;
      if (b) done(b);
    };
    const onEnd = (): void => done(null);
    const timer = setTimeout(() => done(null), timeoutMs);
    client.on('readable', onReadable);
    client.once('end', onEnd);
    client.once('close', onEnd);
  });
}

/** A TLS record header of type handshake (22), major version 3: a ClientHello begins so. */
export const isTlsHello = (b: Buffer): boolean => b.length >= 1 && b[0] === 0x16 && (b.length < 2 || b[1] === 3);

/** Answers the client's handshake with our leaf; only HTTP/1.1 is offered (the parser speaks no h2). */
export function acceptTls(client: Socket, context: SecureContext): TLSSocket {
  return new TLSSocket(client, { isServer: true, secureContext: context, ALPNProtocols: ['http/1.1'] });
}

export interface UpstreamTlsError extends Error {
  readonly code?: string;
}

/** TLS to the upstream over the dialed socket, certificate and name verified; resolves once secure. */
export function connectTls(raw: Socket, host: string, context: SecureContext): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ socket: raw, host, ...(isIP(host) ? {} : { servername: host }), secureContext: context, ALPNProtocols: ['http/1.1'] });
    const fail = (err: Error): void => {
      s.destroy();
      reject(err);
    };
    s.once('error', fail);
    s.once('secureConnect', () => {
      s.off('error', fail);
      s.setNoDelay(true);
      resolve(s);
    });
  });
}

const CERT_CODES = /CERT|SELF_SIGNED|ISSUER|LEAF_SIGNATURE|ALTNAME|UNABLE_TO_VERIFY|EXPIRED|NOT_YET_VALID/;

/** A sentence for an upstream TLS failure, and whether its certificate was the cause. */
export function describeTlsFailure(err: UpstreamTlsError, host: string, port: number): { error: string; detail: string } {
  const code = err.code ?? '';
  if (CERT_CODES.test(code))
    return { error: 'upstream_certificate_invalid', detail: `the certificate of ${host}:${port} was not accepted (${code}: ${err.message})` };
  return { error: 'upstream_tls_failed', detail: `TLS with ${host}:${port} failed (${code ? `${code}: ` : ''}${err.message})` };
}
