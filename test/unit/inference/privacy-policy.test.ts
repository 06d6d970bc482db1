import { describe, expect, it } from 'vitest';
import { evaluatePrivacy, loadPrivacyPolicy, type LocatedFinding } from '../../../core/inference/privacy-policy.ts';

const finding = (kind: string, category: LocatedFinding['category'], label = kind): LocatedFinding => ({ kind, category, label, start: 0, end: 1, path: ['messages', 0, 'content'] });

describe('loading a privacy policy', () => {
  it('accepts YAML with patterns and rules', () => {
    const r = loadPrivacyPolicy(`version: 1
patterns:
  - { name: codename, regex: 'PROJECT-[A-Z]{4}', label: internal codename }
rules:
  - { name: no-keys, match: private_key, action: deny }
  - { match: [personal, codename], tier: private }
`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.rules.map((x) => [x.name, x.match, x.outcome])).toEqual([
      ['no-keys', ['private_key'], { action: 'deny' }],
      ['rules[1]', ['personal', 'codename'], { tier: 'private' }],
    ]);
    expect(r.policy.scanner.scan('see PROJECT-ORCA').map((f) => f.kind)).toEqual(['codename']);
  });

  it('accepts the same policy as JSON', () => {
    expect(loadPrivacyPolicy('{"version": 1, "rules": [{"match": "secret", "tier": "local"}]}').ok).toBe(true);
  });

  it('reports every problem with its line and column and a hint', () => {
    const r = loadPrivacyPolicy(`version: 1
patterns:
  - { name: Bad Name, regex: 'x' }
  - { name: broken, regex: '([a-z' }
rules:
  - { match: secret, tier: secret }
  - { match: secret, tier: local, action: deny }
  - { mach: secret, tier: local }
`, 'privacy.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
    expect(lines).toEqual([
      expect.stringMatching(/^3:\d+ patterns\[0\]\.name: `name` must be lower-case/),
      expect.stringMatching(/^4:\d+ patterns\[1\]\.regex: invalid regex/),
      expect.stringMatching(/^6:\d+ rules\[0\]\.tier: `"secret"` is not one of/),
      expect.stringMatching(/^7:\d+ rules\[1\]: a rule needs exactly one of/),
      expect.stringMatching(/^8:\d+ rules\[2\]\.match: `match` is required/),
      expect.stringMatching(/^8:\d+ rules\[2\]\.mach: unknown key `mach`, did you mean `match`\?/),
    ]);
    expect(r.problems.every((p) => p.file === 'privacy.yaml')).toBe(true);
  });

  it('warns about a match word that is no known kind, without refusing the policy', () => {
    const r = loadPrivacyPolicy('version: 1\nrules:\n  - { match: credit_crd, action: redact }\n');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.warnings[0]).toMatchObject({ severity: 'warning', line: 3, message: expect.stringContaining('did you mean `credit_card`?') as unknown });
  });

  it('refuses broken YAML with a position', () => {
    const r = loadPrivacyPolicy('version: 1\nrules: [\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.line).toBeGreaterThan(0);
  });
});

describe('evaluating findings', () => {
  const policy = (text: string) => {
    const r = loadPrivacyPolicy(text);
    if (!r.ok) throw new Error('bad policy');
    return r.policy;
  };

  it('lets the first matching rule decide for each finding', () => {
    const p = policy('version: 1\nrules:\n  - { match: credit_card, action: redact }\n  - { match: personal, tier: private }\n  - { match: secret, tier: local }\n');
    const v = evaluatePrivacy(p, [finding('credit_card', 'personal'), finding('email', 'personal')]);
    expect(v.redact.map((f) => f.kind)).toEqual(['credit_card']);
    expect(v.minTier).toBe('private');
    expect(v.denied).toEqual([]);
  });

  it('takes the most private tier any finding needs, and collects denies', () => {
    const p = policy('version: 1\nrules:\n  - { match: private_key, action: deny }\n  - { match: personal, tier: private }\n  - { match: secret, tier: local }\n');
    const v = evaluatePrivacy(p, [finding('email', 'personal'), finding('aws_access_key_id', 'secret'), finding('private_key', 'secret')]);
    expect(v.minTier).toBe('local');
    expect(v.denied.map((f) => f.kind)).toEqual(['private_key']);
  });

  it('matches user labels and `*`, and leaves unmatched findings unconstrained', () => {
    const p = policy("version: 1\npatterns:\n  - { name: codename, regex: 'ORCA', label: internal codename }\nrules:\n  - { match: internal codename, tier: local }\n");
    expect(evaluatePrivacy(p, [finding('codename', 'custom', 'internal codename')]).minTier).toBe('local');
    expect(evaluatePrivacy(p, [finding('email', 'personal')]).minTier).toBeNull();
    const all = policy("version: 1\nrules:\n  - { match: '*', tier: private }\n");
    expect(evaluatePrivacy(all, [finding('email', 'personal')]).minTier).toBe('private');
  });
});
