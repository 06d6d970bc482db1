import { backendModel, stricterTier, TIER_RANK, type Backend, type InferenceConfig, type Protocol, type Tier } from './types.ts';

/**
 * Backend choice, pure: which backends may serve a request (model route, privacy tier, protocol, size
 * limits, budget), and in what order to try them (cheapest estimated cost first; backends that just
 * failed go last). Every exclusion carries a sentence, so `inference explain` can show it.
 */

export type ApiKind = 'chat' | 'completions' | 'embeddings' | 'messages';

export const API_PROTOCOL: Readonly<Record<ApiKind, Protocol>> = { chat: 'openai', completions: 'openai', embeddings: 'openai', messages: 'anthropic' };

export interface RouteRequest {
  readonly api: ApiKind;
  readonly model: string;
  readonly hasTools: boolean;
  readonly inputTokens: number;
  /** `max_tokens` of the request, or a default: the output side of the cost estimate. */
  readonly outputTokens: number;
  /** The most public tier the content allows (null: any). */
  readonly minTier: Tier | null;
}

export interface RouteState {
  readonly spentUsd: number;
  /** Backends that failed recently: still candidates, but tried last. */
  readonly down: ReadonlySet<string>;
}

export interface Candidate {
  readonly backend: Backend;
  /** The `model` the backend receives. */
  readonly model: string;
  /** The request must be translated to the backend's protocol. */
  readonly translate: boolean;
  readonly estCostUsd: number;
}

export interface Exclusion {
  readonly backend: string;
  readonly why: string;
}

export type RouteDecision =
  | { readonly ok: true; readonly candidates: readonly Candidate[]; readonly tier: Tier | null; readonly budgetLimited: boolean; readonly excluded: readonly Exclusion[] }
  | { readonly ok: false; readonly status: 429 | 503; readonly error: string; readonly detail: string; readonly excluded: readonly Exclusion[] };

export function estimateCost(b: Backend, inputTokens: number, outputTokens: number): number {
  return (inputTokens * b.priceIn + outputTokens * b.priceOut) / 1_000_000;
}

/** The backends named for a model: its route, else backends that map it, else the `*` route, else all. */
export function candidatesFor(config: InferenceConfig, model: string): { names: readonly string[]; via: string } {
  const route = config.routes.find((r) => r.alias === model);
  if (route) return { names: route.backends, via: `route \`${model}\`` };
  const mapping = config.backends.filter((b) => b.modelMap?.[model] !== undefined);
  if (mapping.length > 0) return { names: mapping.map((b) => b.name), via: `backends that map \`${model}\`` };
  const any = config.routes.find((r) => r.alias === '*');
  if (any) return { names: any.backends, via: 'route `*`' };
  return { names: config.backends.map((b) => b.name), via: 'all backends (no route names this model)' };
}

export function decideRoute(config: InferenceConfig, req: RouteRequest, state: RouteState): RouteDecision {
  const excluded: Exclusion[] = [];
  const own = API_PROTOCOL[req.api];
  let tier = req.minTier;
  let budgetLimited = false;
  if (config.budget && state.spentUsd >= config.budget.limitUsd) {
    if (config.budget.whenExhausted === 'deny')
      return { ok: false, status: 429, error: 'budget_exhausted', detail: `the sandbox spent its inference budget of $${config.budget.limitUsd}`, excluded };
    budgetLimited = true;
    tier = tier === null ? 'local' : stricterTier(tier, 'local');
  }
  const { names } = candidatesFor(config, req.model);
  const eligible: { c: Candidate; order: number }[] = [];
  names.forEach((name, order) => {
    const b = config.backends.find((x) => x.name === name);
    if (!b) return void excluded.push({ backend: name, why: 'is named by the route but not configured' });
    if (tier !== null && TIER_RANK[b.privacy] > TIER_RANK[tier])
      return void excluded.push({ backend: name, why: `is ${b.privacy}; ${budgetLimited && req.minTier !== 'local' ? 'the budget is spent, so only local backends serve' : `the request's content needs ${tier}`}` });
    if (b.protocol !== own) {
      if (req.api === 'completions' || req.api === 'embeddings')
        return void excluded.push({ backend: name, why: `speaks ${b.protocol}; the ${req.api} API is served by openai backends only` });
      if (req.hasTools) return void excluded.push({ backend: name, why: `speaks ${b.protocol}; requests with tools go only to ${own} backends` });
    }
    if (b.maxInputTokens !== undefined && req.inputTokens > b.maxInputTokens)
      return void excluded.push({ backend: name, why: `takes at most ${b.maxInputTokens} input tokens; the request has about ${req.inputTokens}` });
    eligible.push({ c: { backend: b, model: backendModel(b, req.model), translate: b.protocol !== own, estCostUsd: estimateCost(b, req.inputTokens, req.outputTokens) }, order });
  });
  if (eligible.length === 0) {
    const known = config.backends.length > 0;
    return {
      ok: false,
      status: 503,
      error: 'no_backend',
      detail: known ? `no configured backend may serve model \`${req.model}\` for this request` : 'inference is not configured: no backends',
      excluded,
    };
  }
  const rank = (e: { c: Candidate; order: number }): number => (state.down.has(e.c.backend.name) ? 1 : 0);
  eligible.sort((a, b) => rank(a) - rank(b) || a.c.estCostUsd - b.c.estCostUsd || a.order - b.order);
  return { ok: true, candidates: eligible.map((e) => e.c), tier, budgetLimited, excluded };
}
