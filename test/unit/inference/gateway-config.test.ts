import { describe, expect, it } from 'vitest';
import { applyChange, fileFor, InferencePolicyError, providerSecret, type InferenceChange } from '../../../core/gateway/inference-config.ts';
import type { ProviderRecord } from '../../../core/gateway/providers.ts';
import { configProblems } from '../../../core/inference/config.ts';
import { effectiveConfig, EMPTY_CONFIG, type Backend, type InferenceConfig } from '../../../core/inference/types.ts';

const provider = (name: string, credentials: Record<string, string>): ProviderRecord => ({ name, type: 'generic', credentials, hosts: ['x.example'], createdAt: '', updatedAt: '' });
const providers = { oa: provider('oa', { OPENAI_API_KEY: 'sk-oa-secret' }), multi: provider('multi', { ORG: 'o', SERVICE_TOKEN: 'tok' }) };
const backend = (name: string, extra: Partial<Backend> = {}): Backend => ({ name, protocol: 'openai', url: `http://${name}.example/v1`, privacy: 'public', priceIn: 1, priceOut: 1, ...extra });
const apply = (c: InferenceConfig, ...changes: InferenceChange[]): InferenceConfig => changes.reduce((acc, ch) => applyChange(acc, ch, providers), c);

describe('inference configuration changes', () => {
  it('adds, replaces and removes backends, refusing duplicates, unknown providers and backends in use', () => {
    const c = apply(EMPTY_CONFIG, { op: 'add-backend', backend: backend('a', { provider: 'oa' }) }, { op: 'add-backend', backend: backend('b') });
    expect(c.backends.map((b) => b.name)).toEqual(['a', 'b']);
    expect(() => apply(c, { op: 'add-backend', backend: backend('a') })).toThrow(/already exists/);
    expect(apply(c, { op: 'add-backend', backend: backend('a', { priceIn: 9 }), replace: true }).backends[0]!.priceIn).toBe(9);
    expect(() => apply(c, { op: 'add-backend', backend: backend('c', { provider: 'nope' }) })).toThrow(/provider `nope` not found/);
    expect(() => apply(c, { op: 'add-backend', backend: backend('d', { url: 'ftp://x' }) })).toThrow(/http or https/);
    const routed = apply(c, { op: 'set-route', alias: 'fast', backends: ['a'] });
    expect(() => apply(routed, { op: 'remove-backend', name: 'a' })).toThrow(/used by route\(s\) `fast`/);
    expect(() => apply(c, { op: 'set-route', alias: 'fast', backends: ['zz'] })).toThrow(/`zz` not found/);
    expect(apply(c, { op: 'remove-backend', name: 'b' }).backends.map((b) => b.name)).toEqual(['a']);
  });

  it('refuses a privacy policy with every positioned problem', () => {
    try {
      apply(EMPTY_CONFIG, { op: 'set-policy', text: 'version: 1\nrules:\n  - { match: secret, tier: nowhere }\n' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InferencePolicyError);
      expect((err as InferencePolicyError).problems[0]).toMatchObject({ line: 3, path: 'rules[0].tier' });
    }
  });

  it('keeps per-sandbox overrides apart from the gateway-wide settings, and drops empty ones', () => {
    let c = apply(EMPTY_CONFIG, { op: 'add-backend', backend: backend('local', { privacy: 'local' }) }, { op: 'add-backend', backend: backend('cloud') });
    c = apply(c, { op: 'set-route', alias: 'fast', backends: ['cloud', 'local'] }, { op: 'set-budget', budget: { limitUsd: 5, whenExhausted: 'local' } });
    c = apply(c, { op: 'set-route', alias: 'fast', backends: ['local'], sandbox: 'secret-box' }, { op: 'set-budget', budget: null, sandbox: 'secret-box' }, { op: 'set-policy', text: "version: 1\nrules:\n  - { match: '*', tier: local }\n", sandbox: 'secret-box' });
    expect(configProblems(c)).toEqual([]);
    const mine = effectiveConfig(c, 'secret-box');
    expect(mine.routes).toEqual([{ alias: 'fast', backends: ['local'] }]);
    expect(mine.budget).toBeUndefined();
    expect(mine.policy).toContain("match: '*'");
    expect(mine.sandboxes).toBeUndefined();
    const other = effectiveConfig(c, 'other-box');
    expect(other).toEqual({ version: 1, backends: c.backends, routes: [{ alias: 'fast', backends: ['cloud', 'local'] }], budget: { limitUsd: 5, whenExhausted: 'local' } });
    expect(() => apply(c, { op: 'remove-backend', name: 'local' })).toThrow(/fast \(sandbox secret-box\)/);
    const reset = apply(c, { op: 'clear-overrides', sandbox: 'secret-box' });
    expect(reset.sandboxes).toBeUndefined();
  });
});

describe('the file a supervisor receives', () => {
  it('carries each backend credential from its provider and no other sandbox overrides', () => {
    const c: InferenceConfig = { version: 1, backends: [backend('a', { provider: 'oa' }), backend('b', { provider: 'multi' }), backend('c')], routes: [] };
    const file = JSON.parse(fileFor(c, providers).text) as { credentials: Record<string, string> };
    expect(file.credentials).toEqual({ a: 'sk-oa-secret', b: 'tok' });
    expect(providerSecret(provider('p', { ANTHROPIC_API_KEY: 'k', OTHER: 'x' }), 'anthropic')).toBe('k');
  });
});
