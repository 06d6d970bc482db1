import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { SecureContext } from 'node:tls';
import { describeNetError } from './answers.ts';
import type { ApiKind } from './route.ts';
import type { Backend, Protocol } from './types.ts';

/** One request to one backend: headers built from scratch (nothing of the agent's but an allowlist), a timeout to the response head. */

// Kept-alive connections: a TLS handshake per call would dwarf the router's own cost.
const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };

const API_PATH: Readonly<Record<ApiKind, string>> = { chat: '/chat/completions', completions: '/completions', embeddings: '/embeddings', messages: '/messages' };

export const DEFAULT_TIMEOUT_MS = 60_000;

// An https backend whose certificate does not verify: said so (the operator can fix it), never which URL.
const CERT_ERRORS = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID']);
const CERT_FAILED = 'presented a certificate that could not be verified (a private CA is trusted with `openshell gateway start --upstream-ca`)';

export function backendUrl(b: Backend, api: ApiKind): URL {
  return new URL(b.url.replace(/\/+$/, '') + API_PATH[api]);
}

/**
 * The headers a backend receives: content type, accept, protocol headers (`anthropic-version`,
 * `anthropic-beta` only between Anthropic speakers) and its own credential. The agent's
 * Authorization, x-api-key, cookies and anything else it sent are not copied.
 */
export function upstreamHeaders(b: Backend, agent: Protocol, incoming: Readonly<Record<string, string | string[] | undefined>>, key: string | undefined, length: number): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': length, accept: 'application/json, text/event-stream', 'user-agent': 'openshell-inference-router' };
  if (b.protocol === 'anthropic') {
    const version = agent === 'anthropic' ? incoming['anthropic-version'] : undefined;
    h['anthropic-version'] = typeof version === 'string' && /^[\w.-]{1,32}$/.test(version) ? version : '2023-06-01';
    const beta = agent === 'anthropic' ? incoming['anthropic-beta'] : undefined;
    if (typeof beta === 'string' && /^[\w.,-]{1,256}$/.test(beta)) h['anthropic-beta'] = beta;
    if (key !== undefined) h['x-api-key'] = key;
  } else if (key !== undefined) h.authorization = `Bearer ${key}`;
  return h;
}

export type UpstreamResult = { readonly ok: true; readonly res: IncomingMessage; readonly req: ClientRequest } | { readonly ok: false; readonly error: string };

/** `trust`: how an https backend's certificate is verified (default: Node's roots). */
export function sendUpstream(url: URL, headers: OutgoingHttpHeaders, body: Buffer, timeoutMs: number, trust?: SecureContext): Promise<UpstreamResult> {
  return new Promise((resolve) => {
    const tls = url.protocol === 'https:';
    const req = (tls ? httpsRequest : httpRequest)({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (tls ? 443 : 80),
      path: url.pathname + url.search,
      headers,
      agent: tls ? agents.https : agents.http,
      ...(tls && trust ? { secureContext: trust } : {}),
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ROUTER_TIMEOUT' })), timeoutMs);
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve({ ok: true, res, req });
    });
    req.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, error: CERT_ERRORS.has((err as NodeJS.ErrnoException).code ?? '') ? CERT_FAILED : describeNetError(err) });
    });
    req.end(body);
  });
}

/** The whole body of a response, or null past `limit` bytes or on a broken connection. */
export function readAll(res: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        res.destroy();
        resolve(null);
      } else chunks.push(c);
    });
    res.once('end', () => resolve(Buffer.concat(chunks)));
    res.once('error', () => resolve(null));
    res.once('aborted', () => resolve(null));
  });
}
