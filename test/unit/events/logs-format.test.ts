import { describe, expect, it } from 'vitest';
import { formatPolicyLine, formatTrafficLine, parseSince } from '../../../src/commands/logs.ts';
import type { TrafficEvent } from '../../../core/events/traffic.ts';

const allow: TrafficEvent = {
  seq: 1,
  time: '2026-11-30T04:09:22.883Z',
  sandbox: 'demo',
  layer: 'l4',
  action: 'allow',
  binary: '/usr/bin/git',
  host: 'github.com',
  port: 443,
  rule: 'github',
  reason: 'allowed',
};

describe('openshell logs lines', () => {
  it('shows an allow with binary, destination and rule', () => {
    expect(formatTrafficLine(allow)).toBe('2026-11-30T04:09:22.883Z  ALLOW /usr/bin/git → github.com:443 [rule github]');
  });

  it('shows a deny with its reason, pid and a missing rule', () => {
    const line = formatTrafficLine({ ...allow, action: 'deny', rule: null, pid: 9, binary: '/usr/bin/curl', reason: 'no rule allows `github.com:443`' });
    expect(line).toBe('2026-11-30T04:09:22.883Z  DENY  /usr/bin/curl(9) → github.com:443 [no rule]: no rule allows `github.com:443`');
  });

  it('shows request decisions with method and path, and audit denies as AUDIT', () => {
    const line = formatTrafficLine({ ...allow, layer: 'l7', action: 'deny', enforcement: 'audit', method: 'POST', path: '/x', reason: 'POST not allowed' });
    expect(line).toBe('2026-11-30T04:09:22.883Z  AUDIT POST github.com/x (/usr/bin/git) [rule github]: POST not allowed');
    const deny = { ...allow, layer: 'l7', action: 'deny', method: 'POST', path: '/repos/x/settings', binary: '/usr/bin/curl', l7Rule: 'read-only', status: 403, bytesIn: 310 } as const;
    expect(formatTrafficLine({ ...deny, host: 'api.example.com', reason: '' })).toBe(
      '2026-11-30T04:09:22.883Z  DENY POST api.example.com/repos/x/settings (/usr/bin/curl) [rule github: read-only] 403, 310 B',
    );
    const ok = { ...deny, action: 'allow', method: 'GET', port: 8443, l7Rule: 'GET /repos/**', status: 200, bytesIn: 1200, upstreamMs: 3.2 } as const;
    expect(formatTrafficLine(ok)).toBe(
      '2026-11-30T04:09:22.883Z  ALLOW GET github.com:8443/repos/x/settings (/usr/bin/curl) [rule github: GET /repos/**] 200, 1200 B, upstream 3.2 ms',
    );
  });

  it('shows policy verdicts', () => {
    expect(formatPolicyLine({ sandbox: 'd', time: 't', version: 3, status: 'failed', error: 'bad' })).toBe('t  POLICY revision 3 failed: bad');
  });

  it('parses --since durations and ISO times, and refuses anything else', () => {
    const now = Date.parse('2026-11-30T04:00:00Z');
    expect(parseSince('5m', now)).toBe(now - 300_000);
    expect(parseSince('90s', now)).toBe(now - 90_000);
    expect(parseSince('1d', now)).toBe(now - 86_400_000);
    expect(parseSince('2026-11-30T03:00:00Z', now)).toBe(Date.parse('2026-11-30T03:00:00Z'));
    expect(() => parseSince('soon', now)).toThrow(/invalid --since/);
  });
});
