import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblems, listPresets, loadPolicy, resolvePolicySource } from '../../../core/policy/index.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/policy/${name}`, import.meta.url), 'utf8');

describe('loadPolicy', () => {
  it('loads the upstream example policy unchanged', () => {
    const r = loadPolicy(fixture('upstream-example.yaml'), 'example.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.policy.network_policies ?? {})).toEqual([
      'python_packages', 'forge_api', 'issue_writes', 'tools_mcp', 'build_cache', 'warehouse_db',
    ]);
    expect(r.policy.process).toEqual({ run_as_user: '1500', run_as_group: '1500' });
    expect(r.warnings).toEqual([]);
  });

  it('reports every problem at once, with position, field path and a suggestion', () => {
    const r = loadPolicy(fixture('typos.yaml'), 'typos.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]).toEqual({
      severity: 'error',
      file: 'typos.yaml',
      line: 4,
      column: 5,
      path: 'network_policies.github.endpoint',
      message: 'unknown key `endpoint`, did you mean `endpoints`?',
      suggestion: 'rename it to `endpoints`',
    });
    const text = formatProblems(r.problems);
    expect(text).toContain('typos.yaml:11:15: error: network_policies.broad.endpoints[0].host: host `*.com` is too broad');
    expect(text).toContain('`access` and `rules` cannot both be set');
    expect(text).toContain('`127.0.0.0/8` covers the loopback 127.0.0.0/8 range');
    expect(text).toContain('typos.yaml:19:15: error: network_policies.broad.binaries[0].path: `usr/bin/curl` is not an absolute path');
    expect(text).not.toContain('`endpoints` is required');
    expect('policy' in r).toBe(false);
  });

  it('positions YAML syntax errors and returns no policy', () => {
    const r = loadPolicy('version: 1\nnetwork_policies: [\n', 'broken.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]).toMatchObject({ file: 'broken.yaml', line: 3, path: '(yaml)' });
  });

  it.each([
    ['version: 2\n', 'must be 1'],
    ['version: 1\nnetwork_policies:\n  _provider_x: { endpoints: [], binaries: [] }\n', 'reserved'],
    ['version: 1\nfilesystem_policy: { read_write: [/] }\n', 'may not be writable'],
    ['version: 1\nprocess: { run_as_user: root }\n', 'as root'],
    ['version: 1\nnetwork_policies:\n  a:\n    endpoints: [{ host: a.example.com, port: 443, protocol: rest, deny_rules: [{ method: GET, path: /x }] }]\n    binaries: [{ path: /bin/x }]\n', 'needs `access` or `rules`'],
    ['version: 1\nnetwork_policies:\n  a:\n    endpoints: [{ host: a.example.com, port: 443, rules: [{ allow: { method: GET, path: /x } }] }]\n    binaries: [{ path: /bin/x }]\n', '`rules` needs `protocol`'],
    ['version: 1\nnetwork_policies:\n  a:\n    endpoints: [{ host: "a.*b.example.com", port: 443 }]\n    binaries: [{ path: /bin/x }]\n', 'part of the first label only'],
    ['version: 1\nnetwork_policies:\n  a:\n    endpoints: [{ host: db.example.com, port: 5432, protocol: tcp, access: full }]\n    binaries: [{ path: /bin/x }]\n', 'does not apply to `protocol: tcp`'],
    ['version: 1\nnetwork_policies:\n  a:\n    endpoints: [{ allowed_ips: ["169.254.169.254/32"], port: 80 }]\n    binaries: [{ path: /bin/x }]\n', 'link-local'],
    ['version: 1\nnetwork_policies:\n  a:\n    endpoints: [{ host: a.example.com, port: 443, protocol: rest, enforcement: enforced, access: full }]\n    binaries: [{ path: /bin/x }]\n', 'did you mean `enforce`?'],
  ])('rejects %j', (text, message) => {
    const r = loadPolicy(text, 'p.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatProblems(r.problems)).toContain(message);
  });

  it('warns but loads on a broad CIDR', () => {
    const r = loadPolicy('version: 1\nnetwork_policies:\n  a:\n    endpoints: [{ host: a.example.com, port: 443, allowed_ips: [10.0.0.0/8] }]\n    binaries: [{ path: /bin/x }]\n');
    expect(r.ok && r.warnings.map((w) => w.message)).toEqual(['`10.0.0.0/8` is broader than a /16']);
  });

  it('never throws on hostile input', () => {
    for (const text of [undefined, 42, '', '---\n- a', '&a [*a]', 'a: &x [1]\nb: [*x, *x, *x]', '\u0000', 'version: 1\nnetwork_policies: 5']) {
      const r = loadPolicy(text);
      expect(r.ok).toBe(false);
    }
  });
});

describe('presets', () => {
  it('ships default, pypi, npm, github-readonly and git-https, each loading cleanly', async () => {
    const names = await listPresets();
    expect(names).toEqual(expect.arrayContaining(['default', 'pypi', 'npm', 'github-readonly', 'git-https']));
    for (const name of names) {
      const src = await resolvePolicySource(name);
      const r = loadPolicy(src.text, src.path);
      expect(r.ok ? r.warnings : r.problems, name).toEqual([]);
    }
  });

  it('keeps the default restrictive: no network at all', async () => {
    const r = loadPolicy((await resolvePolicySource('default')).text);
    expect(r.ok && r.policy.network_policies).toEqual({});
  });

  it('names the presets when a source is not found', async () => {
    await expect(resolvePolicySource('no-such-preset')).rejects.toThrow(/no policy file or preset/);
  });
});
