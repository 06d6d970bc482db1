import { describe, expect, it } from 'vitest';
import { fingerprint, normalizeHost, recordFrom, toView } from '../../../core/gateway/providers.ts';
import { bindProviders } from '../../../core/gateway/providers-bind.ts';
import { rebind } from '../../../core/gateway/providers-deliver.ts';
import { parseProvidersFile } from '../../../core/supervisor/l7/placeholders-file.ts';
import { parseCredentials } from '../../../src/commands/provider.ts';

const NOW = '2026-11-30T06:00:00.000Z';
const SECRET = 'ghp_0123456789SECRET';

describe('provider records', () => {
  it('fills the type’s default hosts, and --host replaces them', () => {
    expect(recordFrom({ name: 'gh', type: 'github', credentials: { GITHUB_TOKEN: SECRET } }, NOW).hosts).toEqual(['api.github.com', 'github.com']);
    expect(recordFrom({ name: 'oa', type: 'openai', credentials: { OPENAI_API_KEY: 'k' } }, NOW).hosts).toEqual(['api.openai.com']);
    expect(recordFrom({ name: 'an', type: 'anthropic', credentials: { ANTHROPIC_API_KEY: 'k' } }, NOW).hosts).toEqual(['api.anthropic.com']);
    const r = recordFrom({ name: 'gh', type: 'github', credentials: { GITHUB_TOKEN: SECRET }, hosts: ['GHE.Corp.Example:8443', 'ghe.corp.example:8443'] }, NOW);
    expect(r.hosts).toEqual(['ghe.corp.example:8443']);
  });

  it('requires --host for generic providers and at least one credential', () => {
    expect(() => recordFrom({ name: 'g', type: 'generic', credentials: { K: 'v' } }, NOW)).toThrow('a generic provider needs --host');
    expect(() => recordFrom({ name: 'g', type: 'generic', credentials: {}, hosts: ['a.test'] }, NOW)).toThrow('at least one --credential');
  });

  it('refuses bad names, keys, values and hosts, never quoting a value', () => {
    const base = { name: 'g', type: 'generic' as const, hosts: ['a.test'] };
    expect(() => recordFrom({ ...base, name: 'Bad_Name', credentials: { K: 'v' } }, NOW)).toThrow('invalid provider name');
    expect(() => recordFrom({ ...base, credentials: { '1K': 'v' } }, NOW)).toThrow('invalid credential key');
    expect(() => recordFrom({ ...base, credentials: { HTTPS_PROXY: 'v' } }, NOW)).toThrow('reserved');
    expect(() => recordFrom({ ...base, credentials: { OPENSHELL_X: 'v' } }, NOW)).toThrow('reserved');
    const withNewline = `${SECRET}\r\nX-Injected: 1`;
    expect(() => recordFrom({ ...base, credentials: { K: withNewline } }, NOW)).toThrow(/line break/);
    try {
      recordFrom({ ...base, credentials: { K: withNewline } }, NOW);
    } catch (err) {
      expect(String(err)).not.toContain(SECRET);
    }
    expect(() => recordFrom({ ...base, credentials: { K: 'a\x01b' } }, NOW)).toThrow(/control character/);
    expect(recordFrom({ ...base, credentials: { K: 'tab\tok' } }, NOW).credentials.K).toBe('tab\tok');
    for (const h of ['*', '*.com', 'a..b', 'host:0', 'host:70000', 'ho st', 'http://a.test']) {
      expect(() => normalizeHost(h), h).toThrow('invalid --host');
    }
    expect(normalizeHost('*.Example.com.')).toBe('*.example.com');
  });

  it('shows keys, hosts and fingerprints, never values', () => {
    const view = toView(recordFrom({ name: 'gh', type: 'github', credentials: { GITHUB_TOKEN: SECRET, B: 'other' } }, NOW));
    expect(view).toEqual({
      name: 'gh',
      type: 'github',
      keys: ['B', 'GITHUB_TOKEN'],
      hosts: ['api.github.com', 'github.com'],
      fingerprints: { B: fingerprint('other'), GITHUB_TOKEN: fingerprint(SECRET) },
      createdAt: NOW,
      updatedAt: NOW,
    });
    expect(JSON.stringify(view)).not.toContain(SECRET);
    expect(fingerprint(SECRET)).toMatch(/^sha256:[0-9a-f]{12}…$/);
  });
});

describe('binding providers to a sandbox', () => {
  const gh = recordFrom({ name: 'gh', type: 'generic', credentials: { GITHUB_TOKEN: SECRET }, hosts: ['up.test'] }, NOW);

  it('gives the agent a fresh placeholder per sandbox and the supervisor a file that maps it to the secret', () => {
    const a = bindProviders([gh], {});
    const b = bindProviders([gh], {});
    expect(a.env.GITHUB_TOKEN).toMatch(/^OPENSHELL_PLACEHOLDER_GITHUB_TOKEN_[0-9a-f]{24}$/);
    expect(a.env.GITHUB_TOKEN).not.toBe(b.env.GITHUB_TOKEN);
    expect(JSON.stringify(a.env)).not.toContain(SECRET);
    expect(a.names).toEqual(['gh']);
    expect(a.secretFiles.map((f) => f.name)).toEqual(['providers.json']);
    const table = parseProvidersFile(a.secretFiles[0]!.text);
    expect(table.entries).toEqual([{ placeholder: a.env.GITHUB_TOKEN, provider: 'gh', key: 'GITHUB_TOKEN', secret: SECRET, hosts: ['up.test'] }]);
  });

  it('rebinds a running sandbox to a replaced provider: same placeholders, new values, dropped and new keys reported', () => {
    const ci = recordFrom({ name: 'ci', type: 'generic', credentials: { CI_TOKEN: 'ci-secret' }, hosts: ['ci.test'] }, NOW);
    const bound = parseProvidersFile(bindProviders([gh, ci], {}).secretFiles[0]!.text).entries;
    const replaced = recordFrom({ name: 'gh', type: 'generic', credentials: { GH_PAT: 'new-pat' }, hosts: ['up2.test'] }, NOW);
    const r = rebind(bound, 'gh', replaced);
    // GITHUB_TOKEN is gone from the provider: its placeholder is dropped; GH_PAT has no placeholder in this sandbox.
    expect(r.entries.map((e) => `${e.provider}/${e.key}`)).toEqual(['ci/CI_TOKEN']);
    expect(r.missing).toEqual(['GH_PAT']);
    const rotated = rebind(bound, 'gh', { ...gh, credentials: { GITHUB_TOKEN: 'rotated' }, hosts: ['up3.test'] });
    expect(rotated.entries.find((e) => e.provider === 'gh')).toEqual({ ...bound.find((e) => e.provider === 'gh'), secret: 'rotated', hosts: ['up3.test'] });
    expect(rotated.missing).toEqual([]);
    expect(rebind(bound, 'gh', null)).toEqual({ entries: bound.filter((e) => e.provider === 'ci'), missing: [] });
  });

  it('adds nothing without providers', () => {
    expect(bindProviders([], { A: '1' })).toEqual({ env: {}, names: [], secretFiles: [] });
  });

  it('refuses two sources for one variable', () => {
    const other = recordFrom({ name: 'gh2', type: 'generic', credentials: { GITHUB_TOKEN: 'x' }, hosts: ['up.test'] }, NOW);
    expect(() => bindProviders([gh, other], {})).toThrow('providers `gh` and `gh2` both set GITHUB_TOKEN');
    expect(() => bindProviders([gh], { GITHUB_TOKEN: 'mine' })).toThrow('--env GITHUB_TOKEN clashes with provider `gh`');
  });
});

describe('--credential', () => {
  it('takes KEY=VALUE, or a bare KEY from the environment', () => {
    expect(parseCredentials(['A=x=y', 'B'], { B: 'from-env' })).toEqual({ A: 'x=y', B: 'from-env' });
  });

  it('says which key is missing without printing any value', () => {
    expect(() => parseCredentials(['B'], {})).toThrow('--credential B: B is not set in your environment');
    expect(() => parseCredentials([`A=${SECRET}`, `A=${SECRET}`], {})).toThrow('--credential A is given twice');
    try {
      parseCredentials([`A=${SECRET}`, `A=${SECRET}`], {});
    } catch (err) {
      expect(String(err)).not.toContain(SECRET);
    }
  });
});
