/**
 * The privacy router's configuration: backends (where a request may go, what it costs, where its data
 * ends up), routes (model aliases → candidate backends) and a spend budget. Set by the operator on the
 * gateway; delivered to each supervisor as `inference.json`. Nothing the agent sends changes it.
 */

export type Protocol = 'openai' | 'anthropic';
export const PROTOCOLS: readonly Protocol[] = ['openai', 'anthropic'];

/** Where a backend's data goes: `local` runs on the sandbox's own host, `private` a contracted endpoint. */
export type Tier = 'local' | 'private' | 'public';
export const TIERS: readonly Tier[] = ['local', 'private', 'public'];

/** Lower is more private: a request that needs `private` may go to `local` or `private` backends. */
export const TIER_RANK: Readonly<Record<Tier, number>> = { local: 0, private: 1, public: 2 };

export function stricterTier(a: Tier, b: Tier): Tier {
  return TIER_RANK[a] <= TIER_RANK[b] ? a : b;
}

export interface Backend {
  readonly name: string;
  readonly protocol: Protocol;
  /** Base URL including the API version prefix, e.g. `https://api.openai.com/v1`. */
  readonly url: string;
  readonly privacy: Tier;
  /** USD per million input / output tokens. */
  readonly priceIn: number;
  readonly priceOut: number;
  /** Provider whose credential is injected; none for keyless local servers. */
  readonly provider?: string;
  /** Alias → the model name this backend knows; `*` maps every alias not listed. */
  readonly modelMap?: Readonly<Record<string, string>>;
  /** Time to the response head before falling back (default 60 s). */
  readonly timeoutMs?: number;
  /** Requests estimated above this many input tokens skip this backend. */
  readonly maxInputTokens?: number;
}

export interface Route {
  /** The `model` value the agent sends (`fast`, `smart`, or a real model name). */
  readonly alias: string;
  /** Candidate backends; ties in estimated cost keep this order. */
  readonly backends: readonly string[];
}

export interface Budget {
  readonly limitUsd: number;
  /** What happens once the sandbox spent `limitUsd`: only local backends, or 429 for everything. */
  readonly whenExhausted: 'local' | 'deny';
}

export interface InferenceConfig {
  readonly version: 1;
  readonly backends: readonly Backend[];
  readonly routes: readonly Route[];
  /** Privacy policy document (YAML or JSON text), validated when set. */
  readonly policy?: string;
  readonly budget?: Budget;
  /** Per-sandbox overrides, by sandbox name (gateway side only: a sandbox receives its effective config). */
  readonly sandboxes?: Readonly<Record<string, SandboxOverride>>;
}

/** What one sandbox does differently: its own routes (by alias), privacy policy or budget (null: none). */
export interface SandboxOverride {
  readonly routes?: readonly Route[];
  readonly policy?: string;
  readonly budget?: Budget | null;
}

/** The configuration one sandbox runs with: the gateway's, with that sandbox's overrides applied. */
export function effectiveConfig(c: InferenceConfig, sandbox?: string): InferenceConfig {
  const { sandboxes, ...base } = c;
  const o = sandbox === undefined ? undefined : sandboxes?.[sandbox];
  if (!o) return base;
  const own = new Set((o.routes ?? []).map((r) => r.alias));
  const { budget: _b, policy: _p, ...rest } = base;
  const policy = o.policy ?? base.policy;
  const budget = o.budget === undefined ? base.budget : (o.budget ?? undefined);
  return {
    ...rest,
    routes: [...base.routes.filter((r) => !own.has(r.alias)), ...(o.routes ?? [])],
    ...(policy === undefined ? {} : { policy }),
    ...(budget === undefined ? {} : { budget }),
  };
}

export const EMPTY_CONFIG: InferenceConfig = { version: 1, backends: [], routes: [] };

/** The model name a backend receives for an alias. */
export function backendModel(b: Backend, alias: string): string {
  return b.modelMap?.[alias] ?? b.modelMap?.['*'] ?? alias;
}
