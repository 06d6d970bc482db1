import { describe, expect, it } from 'vitest';
import { toOcsf } from '../../../core/events/ocsf.ts';
import type { TrafficEvent } from '../../../core/events/traffic.ts';

const request: TrafficEvent = {
  seq: 9,
  time: '2026-11-30T04:09:22.883Z',
  sandbox: 'demo',
  layer: 'l7',
  action: 'deny',
  enforcement: 'enforce',
  binary: '/usr/bin/curl',
  host: 'api.example.com',
  port: 443,
  method: 'POST',
  path: '/repos/x/settings',
  rule: 'github',
  l7Rule: 'read-only',
  reason: 'rule `github` allows only `GET /**`',
  status: 403,
  bytesIn: 310,
  bytesOut: 0,
  durationMs: 0.4,
};

describe('L7 request events in OCSF', () => {
  it('are HTTP Activity with the method, URL, response code and upstream latency', () => {
    const o = toOcsf({ ...request, action: 'allow', method: 'GET', status: 200, upstreamMs: 3.2, l7Rule: 'GET /**' });
    expect(o).toMatchObject({
      class_uid: 4002,
      type_uid: 400203,
      action: 'Allowed',
      http_request: { http_method: 'GET', url: { url_string: 'https://api.example.com/repos/x/settings' } },
      http_response: { code: 200, latency: 3.2 },
      traffic: { bytes_in: 310, bytes_out: 0 },
      unmapped: { l7_rule: 'GET /**' },
    });
  });

  it('shows an enforced deny as blocked with the proxy’s 403', () => {
    expect(toOcsf(request)).toMatchObject({ class_uid: 4002, action: 'Denied', disposition: 'Blocked', http_response: { code: 403 }, status_detail: request.reason });
  });
});
