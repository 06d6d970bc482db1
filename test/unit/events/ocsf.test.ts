import { describe, expect, it } from 'vitest';
import { toOcsf } from '../../../core/events/ocsf.ts';
import type { TrafficEvent } from '../../../core/events/traffic.ts';

const base: TrafficEvent = {
  seq: 7,
  time: '2026-11-30T04:09:22.883Z',
  sandbox: 'demo',
  layer: 'l4',
  action: 'allow',
  binary: '/usr/bin/git',
  pid: 43,
  ancestors: ['/usr/bin/bash'],
  cmdline: ['git', 'fetch'],
  host: 'github.com',
  ip: '140.82.121.3',
  port: 443,
  rule: 'github',
  reason: 'allowed by rule `github`',
  policyVersion: 2,
};

describe('OCSF mapping of egress decisions', () => {
  it('maps an allowed connection to Network Activity: Open, informational', () => {
    const o = toOcsf(base);
    expect(o).toMatchObject({
      class_uid: 4001,
      category_uid: 4,
      activity_id: 1,
      type_uid: 400101,
      severity_id: 1,
      action_id: 1,
      action: 'Allowed',
      disposition_id: 1,
      status_id: 1,
      time: Date.parse(base.time),
      message: 'CONNECT allowed github.com:443',
      dst_endpoint: { domain: 'github.com', ip: '140.82.121.3', port: 443 },
      src_endpoint: { name: 'demo' },
      actor: { process: { name: 'git', pid: 43, file: { path: '/usr/bin/git', name: 'git' }, cmd_line: 'git fetch', parent_process: { file: { path: '/usr/bin/bash' } } } },
      firewall_rule: { name: 'github', type: 'policy' },
      metadata: { version: '1.8.0', uid: 'demo:7' },
      unmapped: { seq: 7, layer: 'l4', policy_version: 2 },
    });
    expect(o.status_detail).toBeUndefined();
  });

  it('maps a denied connection to Denied/Blocked, medium, with the reason and rule "-"', () => {
    const o = toOcsf({ ...base, action: 'deny', rule: null, reason: 'no rule allows `evil.com:443`', host: 'evil.com', ip: undefined });
    expect(o).toMatchObject({ action_id: 2, action: 'Denied', disposition_id: 2, disposition: 'Blocked', severity_id: 3, status_id: 2 });
    expect(o.status_detail).toBe('no rule allows `evil.com:443`');
    expect(o.firewall_rule.name).toBe('-');
    expect(o.message).toBe('CONNECT denied evil.com:443');
  });

  it('maps a request decision to HTTP Activity with the method as activity and the URL', () => {
    const o = toOcsf({ ...base, layer: 'l7', action: 'deny', method: 'POST', path: '/repos/x', host: 'api.github.com', enforcement: 'enforce' });
    expect(o.class_uid).toBe(4002);
    expect(o.activity_id).toBe(6);
    expect(o.type_uid).toBe(400206);
    expect(o.http_request).toEqual({
      http_method: 'POST',
      url: { scheme: 'https', hostname: 'api.github.com', port: 443, path: '/repos/x', url_string: 'https://api.github.com/repos/x' },
    });
  });

  it('treats an audit-mode deny as allowed-and-logged, low severity', () => {
    const o = toOcsf({ ...base, layer: 'l7', action: 'deny', enforcement: 'audit', method: 'PATCH', path: '/' });
    expect(o).toMatchObject({ action_id: 1, disposition_id: 17, disposition: 'Logged', severity_id: 2, activity_id: 99 });
  });

  it('puts a literal IP in dst_endpoint.ip and names SSRF denials as such', () => {
    const o = toOcsf({ ...base, host: '10.0.0.1', ip: undefined, action: 'deny', error: 'ssrf_denied' });
    expect(o.dst_endpoint).toEqual({ ip: '10.0.0.1', port: 443 });
    expect(o.firewall_rule.type).toBe('ssrf');
  });
});
