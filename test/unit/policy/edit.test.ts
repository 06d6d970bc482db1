import { describe, expect, it } from 'vitest';
import {
  addAllowRule, addBinary, addDenyRule, addEndpoint, allowDenied, compilePolicy, loadPolicy, parseEndpointSpec, parseRuleSpec,
  policyToYaml, removeBinary, removeEndpoint, removeRule, toggleRule, type Policy,
} from '../../../core/policy/index.ts';

const start: Policy = {
  version: 1,
  network_policies: {
    github: {
      endpoints: [{ host: 'api.github.com', port: 443, protocol: 'rest', enforcement: 'enforce', access: 'read-only' }],
      binaries: [{ path: '/usr/bin/gh' }],
    },
  },
};
const ref = { host: 'api.github.com', port: 443 };

describe('edit operations', () => {
  it('toggles a block off and on, keeping it in the file', () => {
    const off = toggleRule(start, 'github');
    expect(off.policy.network_policies?.github?.enabled).toBe(false);
    expect(off.diff.text).toBe('~ rule `github`: turned off');
    expect(loadPolicy(policyToYaml(off.policy)).ok).toBe(true);
    expect(compilePolicy(off.policy).decideL4({ ...ref, binary: '/usr/bin/gh' }).action).toBe('deny');
    const on = toggleRule(off.policy, 'github');
    expect(on.policy).toEqual(start);
  });

  it('adds and removes endpoints, binaries and rules with a readable diff', () => {
    const a = addEndpoint(start, 'npm', parseEndpointSpec('registry.npmjs.org:443'), ['/usr/bin/node']);
    expect(a.diff.text).toBe('+ rule `npm`: added: registry.npmjs.org:443 for /usr/bin/node');
    const b = addBinary(a.policy, 'npm', '/usr/local/bin/node');
    expect(b.diff.text).toBe('+ rule `npm`: binary /usr/local/bin/node');
    expect(removeBinary(b.policy, 'npm', '/usr/local/bin/node').policy).toEqual(a.policy);
    expect(removeEndpoint(a.policy, { host: 'registry.npmjs.org', port: 443 }).policy).toEqual(start);
    expect(removeRule(a.policy, 'npm').diff.text).toBe('- rule `npm`: removed');
    expect(() => removeRule(start, 'githb')).toThrow('no rule `githb` in the policy');
  });

  it('adds allow and deny rules, expanding an access preset first', () => {
    const { rule } = parseRuleSpec('api.github.com:443:post:/repos/*/issues');
    const a = addAllowRule(start, 'github', ref, rule);
    expect(a.policy.network_policies?.github?.endpoints[0]?.rules?.map((r) => `${r.allow.method} ${r.allow.path}`)).toEqual([
      'GET **', 'HEAD **', 'OPTIONS **', 'POST /repos/*/issues',
    ]);
    const d = addDenyRule(a.policy, 'github', ref, { method: '*', path: '/admin/**' });
    expect(d.diff.text).toBe('+ rule `github`: endpoint api.github.com:443: deny * /admin/**');
    const c = compilePolicy(d.policy);
    const req = { ...ref, binary: '/usr/bin/gh' };
    expect(c.decideL7({ ...req, method: 'POST', path: '/repos/x/issues' }).action).toBe('allow');
    expect(c.decideL7({ ...req, method: 'GET', path: '/admin/x' }).action).toBe('deny');
  });

  it('refuses an edit that would make the policy invalid', () => {
    expect(() => addEndpoint(start, 'bad', { host: '*.com', port: 443 }, ['/bin/x'])).toThrow(/too broad/);
    expect(() => addEndpoint(start, 'new', { host: 'a.example.com', port: 443 })).toThrow(/needs at least one binary/);
  });

  it('allows exactly a denied connection: that host, port and binary only', () => {
    const c = compilePolicy(start);
    const denied = c.decideL4({ ...ref, binary: '/usr/bin/curl' });
    if (denied.action !== 'deny' || !denied.ruleMissing) throw new Error('expected a deny');
    const r = allowDenied(start, denied.ruleMissing);
    expect(r.diff.text).toBe('+ rule `allow_api_github_com_443`: added: api.github.com:443 for /usr/bin/curl');
    const after = compilePolicy(r.policy);
    // The new endpoint copies how `github` handles this host, so curl is inspected like gh.
    expect(after.decideL4({ ...ref, binary: '/usr/bin/curl' })).toMatchObject({ action: 'allow', inspect: true });
    expect(after.decideL4({ ...ref, port: 80, binary: '/usr/bin/curl' }).action).toBe('deny');
    expect(after.decideL4({ host: 'github.com', port: 443, binary: '/usr/bin/curl' }).action).toBe('deny');
  });

  it('allows exactly a denied request: that method and path only', () => {
    const req = { ...ref, binary: '/usr/bin/gh', method: 'POST', path: '/repos/a/b/./issues?x=1' };
    const denied = compilePolicy(start).decideL7(req);
    if (denied.action !== 'deny' || !denied.ruleMissing) throw new Error('expected a deny');
    const r = allowDenied(start, denied.ruleMissing);
    const after = compilePolicy(r.policy);
    expect(after.decideL7(req)).toMatchObject({ action: 'allow', rule: 'allow_api_github_com_443', l7Rule: 'POST /repos/a/b/issues' });
    expect(after.decideL7({ ...req, path: '/repos/a/b/pulls' }).action).toBe('deny');
    expect(after.decideL7({ ...req, method: 'PUT' }).action).toBe('deny');
    expect(after.decideL7({ ...req, binary: '/usr/bin/curl' }).action).toBe('deny');
  });
});
