import type { Duplex } from 'node:stream';
import type { DenyBody } from '../deny.ts';

/**
 * The contract of the inspection stage (`inspect.ts`): one decrypted (or plain-HTTP) tunnel is read as
 * HTTP/1.1 requests one by one; each passes `decide` (policy) then `transform` (e.g. credential
 * placeholders) before it is forwarded. Either hook may refuse the request with a status and body.
 */

/** One header as received: name with its original case, value without surrounding whitespace. */
export type Header = readonly [name: string, value: string];

/** A request as the hooks see it (head only; the body streams through untouched). */
export interface InspectedRequest {
  /** Upper-case method; a WebSocket text message is `WEBSOCKET_TEXT`. */
  readonly method: string;
  /** The request target as sent (origin form, `/path?query`). */
  readonly target: string;
  /** The target that will be sent upstream: the canonical path (and query) once `decide` allowed it. */
  readonly forwardTarget: string;
  readonly headers: readonly Header[];
  /** The CONNECT target (or absolute-form URL's host): the only upstream a request can reach. */
  readonly host: string;
  readonly port: number;
  /** `https` after TLS termination, `http` for plain bytes. */
  readonly scheme: 'http' | 'https';
  /** True for a WebSocket upgrade (judged as `GET`). */
  readonly upgrade: boolean;
}

export type Refusal = { readonly ok: false; readonly status: number; readonly body: DenyBody };

/** A policy verdict for one request. `target` replaces the forwarded target (the canonical path). */
export type DecideResult =
  | { readonly ok: true; readonly target?: string; readonly event: RequestEventFields }
  | (Refusal & { readonly target?: string; readonly event: RequestEventFields });

/** A rewrite of the request head (credential placeholders): the headers (and target) to send instead. */
export type TransformResult = { readonly ok: true; readonly headers: readonly Header[]; readonly target?: string } | Refusal;

export interface InspectHooks {
  /** Per-request policy decision; absent means every request is allowed (e.g. a tunnel inspected only to transform). */
  readonly decide?: (req: InspectedRequest) => DecideResult;
  /** Runs after `decide` allowed the request; may rewrite headers or refuse. */
  readonly transform?: (req: InspectedRequest) => TransformResult | Promise<TransformResult>;
  /** Called once per request that was decided, when its exchange is over (or refused). */
  readonly onRequest?: (done: RequestOutcome) => void;
  /** After a `101`: relays the two sides (default: raw bytes both ways). `req` is the upgrade request. */
  readonly upgraded?: (req: InspectedRequest, client: Duplex, clientBytes: Buffer, upstream: Duplex, upstreamBytes: Buffer) => Promise<void>;
}

/** Decision fields `decide` wants in the request's event (rule, reason, enforcement, …). */
export interface RequestEventFields {
  readonly action: 'allow' | 'deny';
  readonly rule: string | null;
  readonly reason: string;
  readonly error?: string;
  readonly enforcement?: 'enforce' | 'audit';
  readonly l7Rule?: string | null;
  readonly ruleMissing?: unknown;
}

/** What happened to one request, for its event. */
export interface RequestOutcome {
  readonly method: string;
  /** The path as forwarded (canonical) or as refused, without the query (it may carry credentials). */
  readonly path: string;
  /** Response status (the proxy's own 4xx/5xx when refused); 0 when no response was sent. */
  readonly status: number;
  /** Response bytes to the client (head and body). */
  readonly bytesIn: number;
  /** Request bytes to the upstream (head and body). */
  readonly bytesOut: number;
  /** From forwarding the head to the upstream's response head; absent when nothing was forwarded. */
  readonly upstreamMs?: number;
  readonly durationMs: number;
  readonly event?: RequestEventFields;
  /** Refusals by the stage itself (malformed request, authority mismatch, upstream failure). */
  readonly error?: string;
  readonly reason?: string;
}
