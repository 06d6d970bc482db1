import { createHash, X509Certificate } from 'node:crypto';
import { Agent, type AgentOptions } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect, rootCertificates, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { RemoteError } from '../../errors.ts';

/** How a client decides it talks to the right server: a pinned certificate, or CA verification. */
export interface PeerTrust {
  /** `sha256:<64 hex>` of the server certificate (DER). When set, only that certificate is accepted and the hostname is not checked. */
  readonly fingerprint?: string | undefined;
  /** Extra trusted CA certificates (PEM), on top of the system roots. */
  readonly ca?: string | undefined;
}

const FINGERPRINT = /^sha256:[0-9a-f]{64}$/;
const CONNECT_TIMEOUT_MS = 15_000;

/** `sha256:<hex>` of a DER certificate. */
export function fingerprintOf(der: Buffer): string {
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

/** The fingerprint of the first certificate in a PEM text. */
export function fingerprintOfPem(pem: string): string {
  return fingerprintOf(new X509Certificate(pem).raw);
}

/** Accepts `sha256:AB:CD…` or bare hex too, as browsers and `openssl x509 -fingerprint` print them. */
export function normalizeFingerprint(text: string): string {
  const hex = text.trim().toLowerCase().replace(/^sha256:/, '').replace(/:/g, '');
  const fp = `sha256:${hex}`;
  if (!FINGERPRINT.test(fp)) throw new RemoteError(`invalid certificate fingerprint \`${text}\``, { exitCode: 2, hint: 'expected sha256: followed by 64 hex digits' });
  return fp;
}

/** Why a connected TLS peer is not the pinned one (undefined when it is). */
export function checkPeer(socket: TLSSocket, fingerprint: string): RemoteError | undefined {
  const cert = socket.getPeerCertificate();
  const raw = (cert as { raw?: Buffer } | undefined)?.raw;
  const seen = raw ? fingerprintOf(raw) : 'no certificate';
  if (seen === normalizeFingerprint(fingerprint)) return undefined;
  return new RemoteError(`the server's TLS certificate does not match the pinned fingerprint; nothing was sent`, {
    exitCode: 3,
    hint: `expected ${fingerprint}, got ${seen}; if the gateway's certificate changed on purpose, add the gateway again`,
  });
}

function tlsOptions(opts: ConnectionOptions, trust: PeerTrust): ConnectionOptions {
  // Only where to connect is taken from the caller (its `path` is an HTTP path, not a socket to dial).
  const host = (opts.host ?? 'localhost').replace(/^\[|\]$/g, '');
  const servername = opts.servername || (isIP(host) ? undefined : host);
  const base: ConnectionOptions = { host, port: opts.port ?? 443, ...(servername ? { servername } : {}) };
  // With a pin, chain and hostname checks are replaced by the exact fingerprint check after the handshake.
  if (trust.fingerprint !== undefined) return { ...base, rejectUnauthorized: false };
  return { ...base, rejectUnauthorized: true, ...(trust.ca === undefined ? {} : { ca: [...rootCertificates, trust.ca] }) };
}

/**
 * Opens a TLS connection and hands it over only once the peer is verified, so no request byte (and
 * no token) is written before that. Usable as `createConnection` of `https.request` and `ws`.
 */
export function verifiedConnect(trust: PeerTrust, timeoutMs = CONNECT_TIMEOUT_MS) {
  return (opts: ConnectionOptions, done: (err: Error | null, socket?: Duplex) => void): undefined => {
    const socket = connect(tlsOptions(opts, trust));
    const fail = (err: Error): void => {
      socket.destroy();
      done(err);
    };
    socket.once('error', fail);
    // A host that never answers is given up on here, not after the system's long TCP timeout.
    const onTimeout = (): void => fail(Object.assign(new Error('timed out'), { code: 'TIMEOUT' }));
    socket.setTimeout(timeoutMs);
    socket.once('timeout', onTimeout);
    socket.once('secureConnect', () => {
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
      socket.off('error', fail);
      const refused = trust.fingerprint === undefined ? undefined : checkPeer(socket, trust.fingerprint);
      if (refused) fail(refused);
      else done(null, socket);
    });
    return undefined;
  };
}

/** An HTTPS agent that verifies the peer (pin or CA) before any request is written. For the auth flow too. */
export function pinnedAgent(trust: PeerTrust, opts: AgentOptions = {}): Agent {
  const connectVerified = verifiedConnect(trust);
  // No TLS session reuse: every connection shows its certificate and is checked again.
  const agent = new Agent({ keepAlive: true, maxCachedSessions: 0, ...opts });
  (agent as unknown as { createConnection: typeof connectVerified }).createConnection = connectVerified;
  return agent;
}
