import type { ServerResponse } from 'node:http';
import type { Protocol } from './types.ts';

/**
 * Answers the router writes itself, in the shape the agent's SDK understands (OpenAI
 * `{error:{message,type,code}}`, Anthropic `{type:"error",error:{type,message}}`). None of them
 * ever names a backend URL or carries a credential: messages are built from fixed phrases and names.
 */

export function errorBody(protocol: Protocol, type: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return protocol === 'openai' ? { error: { message, type, code: type, ...extra } } : { type: 'error', error: { type, message, ...extra } };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, protocol: Protocol, status: number, type: string, message: string, extra: Record<string, unknown> = {}): void {
  // A refused request may still be sending its body: close instead of reading the rest.
  sendJson(res, status, errorBody(protocol, type, message, extra), status === 413 ? { connection: 'close' } : {});
}

/** Network errors as phrases: Node's messages name the address dialed. */
export function describeNetError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused the connection';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset the connection';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'has a host name that did not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'is unreachable';
    case 'ETIMEDOUT':
    case 'ROUTER_TIMEOUT':
      return 'timed out';
    default:
      return 'failed';
  }
}

/** Removes secrets and the backend's address from text an upstream wrote (its error messages). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    out = out.split(s).join('[hidden]');
    // Providers echo a key's first and last characters ("sk-abc…xyz"): any 8+ character prefix goes too.
    if (s.length >= 12) out = out.split(s.slice(0, 8)).join('[hidden]');
  }
  return out.replace(/\bhttps?:\/\/[^\s"']+/g, '[url]');
}
