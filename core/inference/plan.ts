import type { CompiledConfig } from './config.ts';
import { estimateTokens, redactBody, scanBody, textLength } from './content.ts';
import { countKinds } from './detectors.ts';
import { evaluatePrivacy, type PrivacyVerdict } from './privacy-policy.ts';
import { API_PROTOCOL, decideRoute, type ApiKind, type RouteDecision, type RouteState } from './route.ts';
import { plainText } from './translate.ts';
import { stricterTier } from './types.ts';

/**
 * Everything decided about a request before anything is sent, shared by the router and `inference
 * explain`: findings → privacy verdict (deny / redact / minimum tier) → the body that would leave →
 * token estimate → candidate backends in order.
 */

/** Output tokens assumed for the cost estimate when the request sets no `max_tokens`. */
export const ESTIMATED_OUTPUT = 1024;
/** Redaction rounds before giving up (each one can only shrink what is left to find). */
const MAX_ROUNDS = 4;

export type Plan =
  | { readonly ok: false; readonly status: number; readonly type: string; readonly message: string; readonly extra?: Record<string, unknown>; readonly verdict?: PrivacyVerdict; readonly findings: Record<string, number> }
  | {
      readonly ok: true;
      readonly verdict: PrivacyVerdict;
      readonly findings: Record<string, number>;
      /** Spans replaced by `[REDACTED:kind]`. */
      readonly redacted: number;
      /** The body after redaction (the model field is rewritten per backend). */
      readonly outgoing: Record<string, unknown>;
      readonly inputTokens: number;
      readonly outputTokens: number;
      readonly decision: RouteDecision;
    };

const denial = (verdict: PrivacyVerdict, findings: Record<string, number>, message?: string): Plan => {
  const denied = countKinds(verdict.denied);
  return {
    ok: false,
    status: 403,
    type: 'privacy_denied',
    message: message ?? `the privacy policy does not let this request leave the sandbox: it contains ${Object.keys(denied).join(', ')}`,
    extra: { findings: message ? findings : denied },
    verdict,
    findings,
  };
};

export function planRequest(cfg: CompiledConfig, api: ApiKind, request: Record<string, unknown>, state: RouteState): Plan {
  if (typeof request.model !== 'string' || request.model === '')
    return { ok: false, status: 400, type: 'invalid_request_error', message: '`model` is required (a route alias such as `fast`, or a model name)', findings: {} };
  let verdict = evaluatePrivacy(cfg.privacy, scanBody(request, cfg.privacy.scanner));
  const findings = countKinds(verdict.decided.map((d) => d.finding));
  let outgoing = request;
  let redacted = 0;
  // Redacting can join text into a new match (`7AKIA…` becomes `]AKIA…`): what would leave is scanned again.
  for (let round = 0; verdict.denied.length === 0 && verdict.redact.length > 0; round++) {
    if (round === MAX_ROUNDS) return denial(verdict, findings, 'the request could not be redacted as the privacy policy asks');
    outgoing = redactBody(outgoing, verdict.redact);
    redacted += verdict.redact.length;
    const again = evaluatePrivacy(cfg.privacy, scanBody(outgoing, cfg.privacy.scanner));
    for (const f of [...again.redact, ...again.denied]) findings[f.kind] = (findings[f.kind] ?? 0) + 1;
    const minTier = verdict.minTier === null ? again.minTier : again.minTier === null ? verdict.minTier : stricterTier(verdict.minTier, again.minTier);
    verdict = { ...again, minTier, decided: [...verdict.decided, ...again.decided] };
  }
  if (verdict.denied.length > 0) return denial(verdict, findings);
  const inputTokens = estimateTokens(textLength(outgoing));
  const maxTokens = outgoing.max_tokens ?? outgoing.max_completion_tokens;
  const outputTokens = api === 'embeddings' ? 0 : typeof maxTokens === 'number' ? maxTokens : ESTIMATED_OUTPUT;
  const decision = decideRoute(cfg.config, { api, model: request.model, hasTools: !plainText(API_PROTOCOL[api], outgoing), inputTokens, outputTokens, minTier: verdict.minTier }, state);
  return { ok: true, verdict, findings, redacted, outgoing, inputTokens, outputTokens, decision };
}
