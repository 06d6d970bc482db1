import { describe, expect, it } from 'vitest';
import { formatInferenceLine, inferenceToOcsf } from '../../../core/events/ocsf-inference.ts';
import type { TrafficEvent } from '../../../core/events/traffic.ts';
import { formatTrafficLine } from '../../../src/commands/logs.ts';

const call: TrafficEvent = {
  seq: 12,
  time: '2026-11-30T07:00:00.000Z',
  sandbox: 'inf-box',
  layer: 'inference',
  action: 'allow',
  binary: '/usr/bin/python3',
  pid: 42,
  host: 'inference.local',
  port: 443,
  method: 'POST',
  path: '/v1/chat/completions',
  rule: 'local-llama',
  reason: 'served by `local-llama` (local)',
  durationMs: 31,
  inference: {
    api: 'chat',
    model: 'smart',
    backend: 'local-llama',
    tier: 'local',
    requiredTier: 'local',
    status: 200,
    findings: { aws_access_key_id: 1 },
    redacted: 0,
    tokensIn: 120,
    tokensOut: 35,
    costUsd: 0.00077,
    latencyMs: 31,
    fallback: [{ backend: 'cheap', error: 'answered 500' }],
  },
};

describe('inference events', () => {
  it('read as one line in `openshell logs`', () => {
    expect(formatTrafficLine(call)).toBe(
      '2026-11-30T07:00:00.000Z  ALLOW POST inference.local/v1/chat/completions (/usr/bin/python3) → local-llama (local) 120→35 tok $0.00077 [aws_access_key_id×1] after cheap answered 500',
    );
    const denied: TrafficEvent = { ...call, action: 'deny', error: 'privacy_denied', reason: 'the privacy policy does not let this request leave', inference: { ...call.inference!, backend: undefined, tier: undefined, tokensIn: 0, tokensOut: 0, fallback: [], findings: { private_key: 1 } } };
    expect(formatInferenceLine(denied, 'DENY ')).toMatch(/^2026-11-30T07:00:00.000Z {2}DENY POST inference.local\/v1\/chat\/completions \(\/usr\/bin\/python3\) \[private_key×1\]: the privacy policy/);
  });

  it('map to OCSF API Activity 6003 with the model, backend and figures', () => {
    const o = inferenceToOcsf(call);
    expect(o).toMatchObject({
      class_uid: 6003,
      category_uid: 6,
      activity_id: 1,
      type_uid: 600301,
      status: 'Success',
      api: { operation: 'POST /v1/chat/completions', service: { name: 'local-llama' }, response: { code: 200 } },
      ai_model: { name: 'smart', provider: 'local-llama' },
      actor: { process: { name: 'python3', pid: 42 } },
      dst_endpoint: { domain: 'inference.local', port: 443 },
      unmapped: { tier: 'local', findings: { aws_access_key_id: 1 }, tokens_in: 120, tokens_out: 35, cost_usd: 0.00077 },
    });
    expect(inferenceToOcsf({ ...call, action: 'deny', error: 'privacy_denied' })).toMatchObject({ status: 'Failure', severity_id: 3, status_detail: call.reason });
  });
});
