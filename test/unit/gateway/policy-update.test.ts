import { describe, expect, it } from 'vitest';
import { applyUpdate, type UpdateRequest } from '../../../core/gateway/policy-update.ts';
import type { Policy } from '../../../core/policy/index.ts';

const none: UpdateRequest = { addEndpoint: [], removeEndpoint: [], addAllow: [], addDeny: [], removeRule: [], binary: [] };
const start: Policy = {
  version: 1,
  network_policies: {
    github_api: {
      endpoints: [{ host: 'api.github.com', port: 443, protocol: 'rest', access: 'read-only' }],
      binaries: [{ path: '/usr/bin/curl' }],
    },
    npm: { endpoints: [{ host: 'registry.npmjs.org', port: 443 }], binaries: [{ path: '/usr/bin/node' }] },
  },
};

describe('policy update flags → one new policy and its diff', () => {
  it('adds an endpoint in a rule named allow_<host>_<port> for the given binary', () => {
    const r = applyUpdate(start, { ...none, addEndpoint: ['pypi.org:443'], binary: ['/usr/bin/python3'] });
    expect(r.policy.network_policies?.allow_pypi_org_443).toEqual({ endpoints: [{ host: 'pypi.org', port: 443 }], binaries: [{ path: '/usr/bin/python3' }] });
    expect(r.diff.text).toBe('+ rule `allow_pypi_org_443`: added: pypi.org:443 for /usr/bin/python3');
  });

  it('uses --rule-name and the access:protocol parts of the endpoint spec', () => {
    const r = applyUpdate(start, { ...none, addEndpoint: ['example.com:8443:read-write'], binary: ['/usr/bin/curl'], ruleName: 'ex' });
    expect(r.policy.network_policies?.ex?.endpoints[0]).toEqual({ host: 'example.com', port: 8443, access: 'read-write', protocol: 'rest' });
  });

  it('removes endpoints and rules, and applies several changes as one', () => {
    const r = applyUpdate(start, { ...none, removeEndpoint: ['registry.npmjs.org:443'], addDeny: ['api.github.com:443:DELETE:/repos/**'] });
    expect(r.policy.network_policies?.npm).toBeUndefined();
    expect(r.policy.network_policies?.github_api?.endpoints[0]?.deny_rules).toEqual([{ method: 'DELETE', path: '/repos/**' }]);
    expect(r.diff.lines.map((l) => l.op)).toEqual(['+', '-']);
  });

  it('finds the rule of an inspected endpoint for --add-allow and expands the access preset', () => {
    const r = applyUpdate(start, { ...none, addAllow: ['api.github.com:443:POST:/repos/*/issues'] });
    const rules = r.policy.network_policies?.github_api?.endpoints[0]?.rules ?? [];
    expect(rules).toContainEqual({ allow: { method: 'POST', path: '/repos/*/issues' } });
    expect(r.policy.network_policies?.github_api?.endpoints[0]?.access).toBeUndefined();
  });

  it('says what is wrong: nothing to do, a new rule without binary, an uninspected endpoint, a missing rule', () => {
    expect(() => applyUpdate(start, none)).toThrow(/nothing to change/);
    expect(() => applyUpdate(start, { ...none, addEndpoint: ['x.com:443'] })).toThrow(/needs at least one binary/);
    expect(() => applyUpdate(start, { ...none, addAllow: ['registry.npmjs.org:443:GET:/**'] })).toThrow(/no rule inspects requests/);
    expect(() => applyUpdate(start, { ...none, removeRule: ['nmp'] })).toThrow(/no rule `nmp`/);
    expect(() => applyUpdate(start, { ...none, addEndpoint: ['x.com'] , binary: ['/b'] })).toThrow(/expected host:port/);
  });
});
