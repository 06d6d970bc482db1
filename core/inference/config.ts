import { DEFAULT_POLICY_TEXT, loadPrivacyPolicy, type PrivacyPolicy } from './privacy-policy.ts';
import { formatProblems } from '../policy/problems.ts';
import { PROTOCOLS, TIERS, type Backend, type InferenceConfig, type Route } from './types.ts';

/**
 * Checks an inference configuration (from the gateway's store, or `inference.json` in a supervisor)
 * and compiles its privacy policy. A problem is one sentence naming the field; nothing is half-applied.
 */

export interface CompiledConfig {
  readonly config: InferenceConfig;
  readonly privacy: PrivacyPolicy;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const price = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export function backendProblems(b: unknown): string[] {
  if (!isObj(b)) return ['a backend must be an object'];
  const p: string[] = [];
  const name = typeof b.name === 'string' ? b.name : '?';
  if (typeof b.name !== 'string' || !NAME.test(b.name)) p.push(`backend name \`${String(b.name)}\` must be lower-case letters, digits, '.', '_' or '-'`);
  if (!PROTOCOLS.includes(b.protocol as never)) p.push(`backend \`${name}\`: protocol must be one of ${PROTOCOLS.join(', ')}`);
  if (!TIERS.includes(b.privacy as never)) p.push(`backend \`${name}\`: privacy must be one of ${TIERS.join(', ')}`);
  if (!price(b.priceIn) || !price(b.priceOut)) p.push(`backend \`${name}\`: prices must be non-negative numbers (USD per million tokens)`);
  try {
    const u = new URL(String(b.url));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') p.push(`backend \`${name}\`: the URL must be http or https`);
    if (u.username || u.password) p.push(`backend \`${name}\`: put credentials in a provider, not in the URL`);
  } catch {
    p.push(`backend \`${name}\`: \`${String(b.url)}\` is not a URL`);
  }
  if (b.provider !== undefined && typeof b.provider !== 'string') p.push(`backend \`${name}\`: provider must be a provider name`);
  if (b.modelMap !== undefined && (!isObj(b.modelMap) || !Object.values(b.modelMap).every((v) => typeof v === 'string' && v !== '')))
    p.push(`backend \`${name}\`: the model map must map aliases to model names`);
  for (const k of ['timeoutMs', 'maxInputTokens'] as const)
    if (b[k] !== undefined && (typeof b[k] !== 'number' || !Number.isInteger(b[k]) || b[k] <= 0)) p.push(`backend \`${name}\`: ${k} must be a positive integer`);
  return p;
}

function routeProblems(routes: unknown, where: string): string[] {
  if (!Array.isArray(routes)) return [`${where}: \`routes\` must be a list`];
  return routes.flatMap((r: unknown) =>
    !isObj(r) || typeof r.alias !== 'string' || r.alias === '' || !Array.isArray(r.backends) || !r.backends.every((n) => typeof n === 'string')
      ? [`${where}: a route needs an \`alias\` and a list of backend names`]
      : [],
  );
}

function budgetProblems(b: unknown, where: string): string[] {
  return !isObj(b) || !price(b.limitUsd) || (b.whenExhausted !== 'local' && b.whenExhausted !== 'deny') ? [`${where}: the budget needs \`limitUsd\` (≥ 0) and \`whenExhausted\` (local or deny)`] : [];
}

function policyProblems(text: unknown, where: string): string[] {
  if (typeof text !== 'string') return [`${where}: the privacy policy must be YAML or JSON text`];
  const loaded = loadPrivacyPolicy(text, 'privacy policy');
  return loaded.ok ? [] : [`${where}: ${formatProblems(loaded.problems)}`];
}

export function configProblems(c: unknown): string[] {
  if (!isObj(c)) return ['the inference configuration must be an object'];
  if (c.version !== 1) return ['the inference configuration must have `version: 1`'];
  if (!Array.isArray(c.backends) || !Array.isArray(c.routes)) return ['the inference configuration needs `backends` and `routes` lists'];
  const p = c.backends.flatMap(backendProblems);
  const names = c.backends.map((b) => (isObj(b) ? b.name : undefined));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) p.push(`backend \`${JSON.stringify(dup)}\` is defined twice`);
  p.push(...routeProblems(c.routes, 'routes'));
  if (c.budget !== undefined) p.push(...budgetProblems(c.budget, 'budget'));
  if (c.policy !== undefined) p.push(...policyProblems(c.policy, 'policy'));
  if (c.sandboxes !== undefined) {
    if (!isObj(c.sandboxes)) return [...p, '`sandboxes` must map sandbox names to overrides'];
    for (const [name, o] of Object.entries(c.sandboxes)) {
      const where = `sandbox \`${name}\``;
      if (!isObj(o)) p.push(`${where}: an override must be an object`);
      else {
        if (o.routes !== undefined) p.push(...routeProblems(o.routes, where));
        if (o.budget !== undefined && o.budget !== null) p.push(...budgetProblems(o.budget, where));
        if (o.policy !== undefined) p.push(...policyProblems(o.policy, where));
      }
    }
  }
  return p;
}

export type ConfigLoad = { readonly ok: true; readonly compiled: CompiledConfig } | { readonly ok: false; readonly error: string };

export function compileConfig(raw: unknown): ConfigLoad {
  const problems = configProblems(raw);
  if (problems.length > 0) return { ok: false, error: problems.join('; ') };
  const config = raw as InferenceConfig;
  const loaded = loadPrivacyPolicy(config.policy ?? DEFAULT_POLICY_TEXT, 'privacy policy');
  if (!loaded.ok) return { ok: false, error: formatProblems(loaded.problems) };
  return { ok: true, compiled: { config, privacy: loaded.policy } };
}

/** Route aliases and mapped model names: what `GET /v1/models` lists. */
export function modelNames(config: InferenceConfig): string[] {
  const names = new Set<string>(config.routes.map((r: Route) => r.alias).filter((a) => a !== '*'));
  for (const b of config.backends as Backend[]) for (const k of Object.keys(b.modelMap ?? {})) if (k !== '*') names.add(k);
  return [...names].sort();
}
