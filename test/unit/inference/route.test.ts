import { describe, expect, it } from 'vitest';
import { decideRoute, type RouteRequest } from '../../../core/inference/route.ts';
import type { Backend, InferenceConfig } from '../../../core/inference/types.ts';

const b = (name: string, extra: Partial<Backend>): Backend => ({ name, protocol: 'openai', url: `http://${name}.example/v1`, privacy: 'public', priceIn: 1, priceOut: 1, ...extra });
const config: InferenceConfig = {
  version: 1,
  backends: [
    b('local', { privacy: 'local', priceIn: 2, priceOut: 2, modelMap: { fast: 'llama3' } }),
    b('contracted', { privacy: 'private', priceIn: 1, priceOut: 1, protocol: 'anthropic', modelMap: { '*': 'claude-haiku' } }),
    b('public', { privacy: 'public', priceIn: 0.1, priceOut: 0.1, maxInputTokens: 1000 }),
  ],
  routes: [{ alias: 'fast', backends: ['local', 'contracted', 'public', 'ghost'] }],
};
const req = (extra: Partial<RouteRequest> = {}): RouteRequest => ({ api: 'chat', model: 'fast', hasTools: false, inputTokens: 100, outputTokens: 100, minTier: null, ...extra });
const none = { spentUsd: 0, down: new Set<string>() };
const order = (d: ReturnType<typeof decideRoute>): string[] => (d.ok ? d.candidates.map((c) => c.backend.name) : []);

describe('backend choice', () => {
  it('orders eligible backends by estimated cost and rewrites the model per backend', () => {
    const d = decideRoute(config, req(), none);
    expect(order(d)).toEqual(['public', 'contracted', 'local']);
    expect(d.ok && d.candidates.map((c) => [c.model, c.translate])).toEqual([['fast', false], ['claude-haiku', true], ['llama3', false]]);
    expect(d.excluded).toEqual([{ backend: 'ghost', why: 'is named by the route but not configured' }]);
  });

  it('keeps content that needs a tier on backends at least that private', () => {
    expect(order(decideRoute(config, req({ minTier: 'local' }), none))).toEqual(['local']);
    const d = decideRoute(config, req({ minTier: 'private' }), none);
    expect(order(d)).toEqual(['contracted', 'local']);
    expect(d.excluded).toContainEqual({ backend: 'public', why: "is public; the request's content needs private" });
  });

  it('keeps tools, completions and embeddings on their own protocol', () => {
    expect(order(decideRoute(config, req({ hasTools: true }), none))).toEqual(['public', 'local']);
    expect(order(decideRoute(config, req({ api: 'embeddings', outputTokens: 0 }), none))).toEqual(['public', 'local']);
    expect(order(decideRoute(config, req({ api: 'messages', hasTools: true }), none))).toEqual(['contracted']);
  });

  it('skips a backend whose input limit the request exceeds', () => {
    expect(order(decideRoute(config, req({ inputTokens: 5000 }), none))).toEqual(['contracted', 'local']);
  });

  it('tries recently failed backends last', () => {
    expect(order(decideRoute(config, req(), { spentUsd: 0, down: new Set(['public']) }))).toEqual(['contracted', 'local', 'public']);
  });

  it('restricts to local backends or refuses with 429 once the budget is spent', () => {
    const d = decideRoute({ ...config, budget: { limitUsd: 1, whenExhausted: 'local' } }, req(), { spentUsd: 1, down: new Set() });
    expect(order(d)).toEqual(['local']);
    expect(d.ok && d.budgetLimited).toBe(true);
    const deny = decideRoute({ ...config, budget: { limitUsd: 1, whenExhausted: 'deny' } }, req(), { spentUsd: 2, down: new Set() });
    expect(deny).toMatchObject({ ok: false, status: 429, error: 'budget_exhausted' });
  });

  it('finds candidates through model maps, then the `*` route, then all backends', () => {
    const noRoutes = { ...config, routes: [] };
    expect(order(decideRoute(noRoutes, req({ model: 'fast' }), none))).toEqual(['local']);
    expect(order(decideRoute(noRoutes, req({ model: 'gpt-x' }), none))).toEqual(['public', 'contracted', 'local']);
    expect(order(decideRoute({ ...noRoutes, routes: [{ alias: '*', backends: ['local'] }] }, req({ model: 'gpt-x' }), none))).toEqual(['local']);
  });

  it('says why when nothing is eligible', () => {
    const d = decideRoute(config, req({ minTier: 'local', hasTools: true, api: 'messages' }), none);
    expect(d).toMatchObject({ ok: false, status: 503, error: 'no_backend' });
    expect(d.excluded.map((x) => x.backend)).toEqual(['local', 'contracted', 'public', 'ghost']);
    expect(d.excluded[0]!.why).toBe('speaks openai; requests with tools go only to anthropic backends');
  });
});
