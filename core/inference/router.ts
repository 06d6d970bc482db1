import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecureContext } from 'node:tls';
import type { InferenceDetails } from '../events/inference.ts';
import { scrub, sendError, sendJson } from './answers.ts';
import { modelNames, type CompiledConfig } from './config.ts';
import { estimateTokens, textLength } from './content.ts';
import { planRequest } from './plan.ts';
import { readBody } from './request-body.ts';
import { estimateCost, type ApiKind, type Candidate } from './route.ts';
import type { SpendMeter } from './spend.ts';
import { relayStream } from './stream.ts';
import { translateRequest, translateResponse, usageOf } from './translate.ts';
import { backendUrl, DEFAULT_TIMEOUT_MS, readAll, sendUpstream, upstreamHeaders } from './upstream.ts';
import type { Backend, Protocol } from './types.ts';

/**
 * The privacy router as an HTTP request handler (what `https://inference.local` serves):
 * path check → body → privacy rules (deny / redact / minimum tier) → backend choice → credential swap
 * and model rewrite → send, falling back on failure → relay (translated when protocols differ) → event.
 */

export const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const DOWN_MS = 30_000;

export interface InferenceCall {
  readonly action: 'allow' | 'deny';
  readonly method: string;
  readonly path: string;
  readonly reason: string;
  readonly error?: string;
  readonly details: InferenceDetails;
}

export interface RouterDeps {
  /** The configuration in force; null: inference is not configured (503). */
  readonly config: () => CompiledConfig | null;
  /** The secret a backend sends (from its provider), or undefined when there is none. */
  readonly credential: (backend: Backend) => string | undefined;
  readonly spend: SpendMeter;
  /** One call's record; `req` tells the caller's connection apart. */
  readonly emit: (call: InferenceCall, req: IncomingMessage) => void;
  readonly maxBodyBytes?: number;
  /** Longest silence between streamed chunks before the backend counts as dead. */
  readonly idleMs?: number;
  /** Most bytes of one streamed answer (default: as for whole answers, 32 MiB). */
  readonly maxStreamBytes?: number;
  /** How https backends are verified: the public roots plus the operator's `--upstream-ca` (a private backend behind a corporate CA). */
  readonly trust?: () => SecureContext;
}

const ROUTES: Readonly<Record<string, ApiKind>> = { '/v1/chat/completions': 'chat', '/v1/completions': 'completions', '/v1/embeddings': 'embeddings', '/v1/messages': 'messages' };

export function createRouter(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const down = new Map<string, number>();
  const markDown = (name: string): void => void down.set(name, Date.now() + DOWN_MS);
  const downNow = (): Set<string> => {
    const now = Date.now();
    for (const [k, until] of down) if (until <= now) down.delete(k);
    return new Set(down.keys());
  };
  return (req, res) => {
    handle(req, res, deps, markDown, downNow).catch(() => {
      if (!res.headersSent) sendError(res, 'openai', 500, 'router_error', 'the inference router failed on this request');
      else res.destroy();
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: RouterDeps, markDown: (n: string) => void, downNow: () => Set<string>): Promise<void> {
  const started = performance.now();
  const method = req.method ?? '';
  const path = (req.url ?? '/').split('?')[0]!;
  const api = ROUTES[path];
  const protocol: Protocol = api === 'messages' || (api === undefined && req.headers['anthropic-version'] !== undefined) ? 'anthropic' : 'openai';
  const isModels = path === '/v1/models' && method === 'GET';
  const base: InferenceDetails = { api: api ?? (isModels ? 'models' : 'other'), status: 0, findings: {}, redacted: 0, tokensIn: 0, tokensOut: 0, costUsd: 0, latencyMs: 0, fallback: [] };
  const finish = (status: number, d: Partial<InferenceDetails>, outcome: { action: 'allow' | 'deny'; reason: string; error?: string }): void =>
    deps.emit({ ...outcome, method, path, details: { ...base, ...d, status, latencyMs: Math.round(performance.now() - started) } }, req);
  const refuse = (status: number, type: string, message: string, d: Partial<InferenceDetails> = {}, extra: Record<string, unknown> = {}): void => {
    sendError(res, protocol, status, type, message, extra);
    finish(status, d, { action: 'deny', reason: message, error: type });
  };

  if (!isModels && !(api !== undefined && method === 'POST'))
    return refuse(403, 'forbidden', `${method} ${path} is not an inference API; inference.local serves POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/messages and GET /v1/models`);
  const cfg = deps.config();
  if (!cfg) return refuse(503, 'inference_not_configured', 'inference is not configured for this sandbox (see `openshell inference backend add`)');
  if (isModels) {
    const ids = modelNames(cfg.config);
    sendJson(res, 200, protocol === 'openai' ? { object: 'list', data: ids.map((id) => ({ id, object: 'model', owned_by: 'openshell' })) } : { data: ids.map((id) => ({ id, type: 'model', display_name: id })), has_more: false });
    return finish(200, {}, { action: 'allow', reason: 'model list answered by the router' });
  }
  if (api === undefined) return;

  const body = await readBody(req, deps.maxBodyBytes ?? MAX_BODY_BYTES);
  if (!body.ok) return body.tooLarge ? refuse(413, 'request_too_large', `the request body exceeds ${(deps.maxBodyBytes ?? MAX_BODY_BYTES) >> 20} MiB`) : void res.destroy();
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch (err) {
    return refuse(400, 'invalid_request_error', `the request body is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return refuse(400, 'invalid_request_error', 'the request body must be a JSON object');
  const request = json as Record<string, unknown>;
  const model = typeof request.model === 'string' ? request.model : '';
  const stream = request.stream === true;
  const plan = planRequest(cfg, api, request, { spentUsd: deps.spend.spentUsd, down: downNow() });
  const seen = { model, stream, findings: plan.findings };
  if (!plan.ok) return refuse(plan.status, plan.type, plan.message, seen, plan.extra);
  const { verdict, outgoing, inputTokens, decision } = plan;
  const decided = { ...seen, redacted: plan.redacted, ...(verdict.minTier ? { requiredTier: verdict.minTier } : {}) };
  if (!decision.ok) return refuse(decision.status, decision.error, decision.detail, decided);

  const fallback: { backend: string; error: string }[] = [];
  for (const c of decision.candidates) {
    const key = c.backend.provider === undefined ? undefined : deps.credential(c.backend);
    if (c.backend.provider !== undefined && key === undefined) {
      fallback.push({ backend: c.backend.name, error: `its provider \`${c.backend.provider}\` has no credential in this sandbox` });
      continue;
    }
    const payload = Buffer.from(JSON.stringify(c.translate ? translateRequest(protocol, outgoing, c.model) : { ...outgoing, model: c.model }));
    const sent = await sendUpstream(backendUrl(c.backend, c.translate ? (api === 'chat' ? 'messages' : 'chat') : api), upstreamHeaders(c.backend, protocol, req.headers, key, payload.length), payload, c.backend.timeoutMs ?? DEFAULT_TIMEOUT_MS, deps.trust?.());
    if (!sent.ok) {
      markDown(c.backend.name);
      fallback.push({ backend: c.backend.name, error: sent.error });
      continue;
    }
    const up = sent.res;
    const status = up.statusCode ?? 502;
    // Overloaded or broken: the next candidate may do better. Other answers (400, 401, …) are the request's own.
    if (status >= 500 || status === 429 || status === 408) {
      up.resume();
      markDown(c.backend.name);
      fallback.push({ backend: c.backend.name, error: `answered ${status}` });
      continue;
    }
    const served = { ...decided, backend: c.backend.name, tier: c.backend.privacy, translated: c.translate, fallback, ...(decision.budgetLimited ? { budgetLimited: true } : {}) };
    const reason = `served by \`${c.backend.name}\` (${c.backend.privacy})${fallback.length ? ` after ${fallback.map((f) => `\`${f.backend}\` ${f.error}`).join(', ')}` : ''}`;
    const cost = (tIn: number, tOut: number): number => estimateCost(c.backend, tIn, tOut);
    const isSse = /^text\/event-stream\b/i.test(String(up.headers['content-type'] ?? ''));
    if (status < 300 && isSse) {
      const r = await relayStream(up, res, { upstream: c.backend.protocol, agent: protocol, model: c.model, backend: c.backend.name, idleMs: deps.idleMs, maxBytes: deps.maxStreamBytes ?? MAX_RESPONSE_BYTES });
      if (!r.complete) markDown(c.backend.name);
      const tIn = r.usage.input ?? inputTokens;
      // Without reported usage (an OpenAI stream without include_usage), the text seen is the estimate.
      const tOut = r.usage.output ?? estimateTokens(r.textChars);
      deps.spend.add(cost(tIn, tOut));
      return finish(200, { ...served, tokensIn: tIn, tokensOut: tOut, costUsd: cost(tIn, tOut) }, r.complete ? { action: 'allow', reason } : { action: 'allow', ...streamCut(reason, r.cut) });
    }
    const text = await readAll(up, MAX_RESPONSE_BYTES);
    if (text === null) {
      markDown(c.backend.name);
      fallback.push({ backend: c.backend.name, error: 'broke off its answer' });
      continue;
    }
    return answer(res, status, text, c, protocol, key, (tIn, tOut) => {
      deps.spend.add(cost(tIn, tOut));
      finish(status, { ...served, tokensIn: tIn, tokensOut: tOut, costUsd: cost(tIn, tOut) }, status < 400 ? { action: 'allow', reason } : { action: 'allow', reason: `${reason}; the backend refused the request`, error: 'upstream_error' });
    }, inputTokens);
  }
  const tried = fallback.map((f) => `\`${f.backend}\` ${f.error}`).join('; ');
  return refuse(502, 'upstream_unavailable', `no backend could serve the request (${tried})`, { ...decided, fallback });
}

/** A whole (non-streamed) answer: translated if needed; an upstream error is re-worded without addresses or keys. */
function answer(res: ServerResponse, status: number, text: Buffer, c: Candidate, agent: Protocol, key: string | undefined, done: (tIn: number, tOut: number) => void, estIn: number): void {
  let body: unknown;
  try {
    body = JSON.parse(text.toString('utf8'));
  } catch {
    body = undefined;
  }
  const usage = usageOf(body);
  if (status >= 400 || typeof body !== 'object' || body === null) {
    const upstreamMessage = upstreamErrorMessage(body, c.backend, key);
    sendError(res, agent, status >= 400 ? status : 502, status >= 400 ? 'upstream_error' : 'upstream_invalid', `backend \`${c.backend.name}\` answered ${status}${upstreamMessage ? `: ${upstreamMessage}` : ''}`);
    return done(0, 0);
  }
  const out = c.translate ? translateResponse(agent, body as Record<string, unknown>, c.model) : body;
  if (c.translate) sendJson(res, status, out, { 'x-inference-backend': c.backend.name });
  else {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': text.length, 'x-inference-backend': c.backend.name });
    res.end(text);
  }
  done(usage?.input ?? estIn, usage?.output ?? estimateTokens(textLength(out)));
}

function upstreamErrorMessage(body: unknown, b: Backend, key: string | undefined): string {
  const e = (body as { error?: unknown } | undefined)?.error;
  const m = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : typeof e === 'string' ? e : undefined;
  if (typeof m !== 'string') return '';
  return scrub(m, [...(key ? [key] : []), b.url, new URL(b.url).host]).slice(0, 500);
}

/** The event fields of a stream that did not complete: the router cut it (silence, size) or the backend broke it. */
function streamCut(reason: string, cut: 'idle' | 'too_large' | undefined): { reason: string; error: string } {
  if (cut === 'idle') return { reason: `${reason}; the backend fell silent mid-stream and was cut off`, error: 'upstream_timeout' };
  if (cut === 'too_large') return { reason: `${reason}; the streamed answer exceeded the size cap and was cut off`, error: 'response_too_large' };
  return { reason: `${reason}; the backend ended the stream early`, error: 'upstream_stream_broken' };
}
