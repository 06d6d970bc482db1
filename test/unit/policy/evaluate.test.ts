import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePolicy, loadPolicy, type Policy } from '../../../core/policy/index.ts';

function load(text: string): Policy {
  const r = loadPolicy(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.policy;
}
const example = compilePolicy(load(readFileSync(new URL('../../fixtures/policy/upstream-example.yaml', import.meta.url), 'utf8')));
const agent = '/usr/local/bin/agent-cli';

const github = compilePolicy(
  load(`version: 1
network_policies:
  github:
    endpoints:
      - { host: api.example.com, port: 443 }
      - { host: "*.github.example", ports: [443, 8443] }
      - { host: "**.cdn.example", port: 443 }
      - { host: "api-*.svc.example", port: 443 }
    binaries: [{ path: /usr/bin/git }, { path: "/opt/*/bin/tool" }]
  off:
    enabled: false
    endpoints: [{ host: paused.example, port: 443 }]
    binaries: [{ path: /usr/bin/curl }]
`),
);

describe('decideL4', () => {
  it('allows a listed binary and says which rule and endpoint', () => {
    expect(github.decideL4({ host: 'API.example.com.', port: 443, binary: '/usr/bin/git' })).toEqual({
      action: 'allow',
      layer: 'l4',
      rule: 'github',
      reason: '`/usr/bin/git` may reach `api.example.com:443`: allowed by rule `github`',
      matchedBinary: '/usr/bin/git',
      endpoint: { rule: 'github', host: 'api.example.com', ports: [443], protocol: null, enforcement: 'audit', tls: null, allowedIps: [], exactHost: true },
      inspect: false,
      l7Rule: null,
    });
  });

  it('denies another binary in a sentence that names the rule and who it allows', () => {
    expect(github.decideL4({ host: 'api.example.com', port: 443, binary: '/usr/bin/curl' })).toEqual({
      action: 'deny',
      layer: 'l4',
      rule: 'github',
      reason: '`/usr/bin/curl` may not reach `api.example.com:443`: rule `github` allows only `/usr/bin/git`, `/opt/*/bin/tool`',
      enforcement: 'enforce',
      ruleMissing: { type: 'l4_allow', layer: 'l4', host: 'api.example.com', port: 443, binary: '/usr/bin/curl' },
    });
  });

  it.each([
    ['a.github.example', 8443, '/usr/bin/git', 'allow'],
    ['a.b.github.example', 443, '/usr/bin/git', 'deny'],
    ['github.example', 443, '/usr/bin/git', 'deny'],
    ['x.y.cdn.example', 443, '/usr/bin/git', 'allow'],
    ['cdn.example', 443, '/usr/bin/git', 'deny'],
    ['api-eu.svc.example', 443, '/usr/bin/git', 'allow'],
    ['web-eu.svc.example', 443, '/usr/bin/git', 'deny'],
    ['api.example.com', 443, '/opt/x/bin/tool', 'allow'],
    ['api.example.com', 443, '/opt/x/y/bin/tool', 'deny'],
  ])('%s:%i for %s → %s', (host, port, binary, action) => {
    expect(github.decideL4({ host, port, binary }).action).toBe(action);
  });

  it('matches a binary through an ancestor process', () => {
    const d = github.decideL4({ host: 'api.example.com', port: 443, binary: '/usr/lib/git-core/git-remote-https', ancestors: ['/usr/bin/git'] });
    expect(d).toMatchObject({ action: 'allow', matchedBinary: '/usr/bin/git' });
    expect(d.reason).toContain('(via ancestor `/usr/bin/git`)');
  });

  it('explains near misses: wrong port, disabled rule, nothing at all', () => {
    expect(github.decideL4({ host: 'api.example.com', port: 80, binary: '/usr/bin/git' }).reason).toBe(
      '`/usr/bin/git` may not reach `api.example.com:80`: `api.example.com` is allowed only on port 443 (rule `github`)',
    );
    expect(github.decideL4({ host: 'paused.example', port: 443, binary: '/usr/bin/curl' })).toMatchObject({
      action: 'deny',
      rule: 'off',
      reason: '`/usr/bin/curl` may not reach `paused.example:443`: rule `off` would allow it but is turned off',
    });
    expect(github.decideL4({ host: 'evil.example', port: 443, binary: '/usr/bin/git' }).reason).toBe(
      '`/usr/bin/git` may not reach `evil.example:443`: no rule allows `evil.example:443`',
    );
    expect(compilePolicy({ version: 1 }).decideL4({ host: 'a.b', port: 1, binary: '/x' }).reason).toContain('the policy allows no network connections');
  });

  it('names the lexicographically smallest matching rule', () => {
    expect(example.decideL4({ host: 'api.forge.example', port: 443, binary: agent })).toMatchObject({ rule: 'forge_api', inspect: true });
  });

  it('fails closed on malformed requests instead of throwing', () => {
    for (const req of [null, {}, { host: 'a', port: 0, binary: '/x' }, { host: 'a', port: 1.5, binary: '/x' }, { host: 'a', port: 443, binary: 7 }]) {
      expect(github.decideL4(req as never)).toMatchObject({ action: 'deny', rule: null, ruleMissing: null });
    }
  });
});

describe('decideL7', () => {
  const req = (method: string, path: string) => ({ host: 'api.forge.example', port: 443, binary: agent, method, path });

  it('lets HEAD satisfy a GET rule', () => {
    expect(example.decideL7(req('HEAD', '/repos/acme'))).toMatchObject({ action: 'allow', layer: 'l7', rule: 'forge_api', l7Rule: 'GET /**' });
  });

  it('applies deny rules after canonicalizing the path', () => {
    for (const p of ['/admin/users', '/x/../admin/users', '//admin//users', '/%61dmin/users', '/admin;x=1/users', '/ADMIN/../admin']) {
      expect(example.decideL7(req('GET', p)), p).toMatchObject({ action: 'deny', rule: 'forge_api', enforcement: 'enforce' });
    }
  });

  it('checks query values: all must match an allow rule', () => {
    expect(example.decideL7(req('POST', '/repos/acme/widgets/issues?labels=bug&labels=triage-1'))).toMatchObject({ action: 'allow', rule: 'issue_writes' });
    expect(example.decideL7(req('POST', '/repos/acme/widgets/issues?labels=bug&labels=wontfix'))).toMatchObject({ action: 'deny' });
    expect(example.decideL7(req('POST', '/repos/acme/widgets/issues'))).toMatchObject({ action: 'deny' });
  });

  it('denies a write with the rules that exist and the narrowest missing rule', () => {
    expect(example.decideL7(req('DELETE', '/repos/acme/./widgets'))).toEqual({
      action: 'deny',
      layer: 'l7',
      rule: 'forge_api',
      reason:
        '`/usr/local/bin/agent-cli` may not `DELETE /repos/acme/widgets` on `api.forge.example:443`: rule `forge_api` allows only `GET /**`, `HEAD /**`, `OPTIONS /**`; rule `issue_writes` allows only `POST /repos/acme/widgets/issues?labels`',
      enforcement: 'enforce',
      ruleMissing: { type: 'rest_allow', layer: 'l7', method: 'DELETE', path: '/repos/acme/widgets', host: 'api.forge.example', port: 443, binary: agent },
    });
  });

  it('rejects ambiguous paths outright', () => {
    for (const p of ['/a%2Fb', '/../etc', '/a%00', 'relative', '/a%zz']) {
      expect(example.decideL7(req('GET', p)), p).toMatchObject({ action: 'deny', ruleMissing: null, enforcement: 'enforce' });
    }
  });

  it('falls back to the L4 deny when the connection itself is not allowed', () => {
    expect(example.decideL7({ ...req('GET', '/'), binary: '/usr/bin/curl' })).toMatchObject({ action: 'deny', layer: 'l4' });
  });

  it('passes uninspected endpoints through and reports audit-mode denies as audit', () => {
    const p = compilePolicy(
      load(`version: 1
network_policies:
  audit:
    endpoints: [{ host: a.example.com, port: 443, protocol: rest, access: read-only }]
    binaries: [{ path: /bin/x }]
  plain:
    endpoints: [{ host: b.example.com, port: 443 }]
    binaries: [{ path: /bin/x }]
`),
    );
    expect(p.decideL7({ host: 'a.example.com', port: 443, binary: '/bin/x', method: 'POST', path: '/' })).toMatchObject({ action: 'deny', enforcement: 'audit' });
    expect(p.decideL7({ host: 'b.example.com', port: 443, binary: '/bin/x', method: 'POST', path: '/' })).toMatchObject({ action: 'allow', l7Rule: null });
  });
});
