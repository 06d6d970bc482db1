import { describe, expect, it } from 'vitest';
import { healthOf, InferenceLog, recentLatency } from '../../../components/inference-log.ts';
import { callSummary, findingsSummary, usd } from '../../../components/inference-format.ts';
import { decision, routed } from './fixtures.ts';

describe('the inference log', () => {
  it('keeps only router calls, newest first, and at most `capacity` of them', () => {
    const log = new InferenceLog(3);
    log.push(decision({ host: 'pypi.org' }));
    for (let i = 1; i <= 5; i++) log.push(routed({ latencyMs: i }));
    expect(log.length).toBe(3);
    expect(log.calls().map((e) => e.inference?.latencyMs)).toEqual([5, 4, 3]);
    // Totals count every call, not just the ones still held.
    expect(log.backends.get('local-llm')?.requests).toBe(5);
  });

  it('a backend is unused until asked, ok while it answers, failing after a fallback or a 5xx among its last five outcomes', () => {
    const log = new InferenceLog();
    expect(healthOf(log.backends.get('cloud'))).toBe('unused');
    log.push(routed({ backend: 'local', fallback: [{ backend: 'cloud', error: 'timeout after 60000 ms' }] }));
    expect(healthOf(log.backends.get('cloud'))).toBe('failing');
    expect(healthOf(log.backends.get('local'))).toBe('ok');
    for (let i = 0; i < 5; i++) log.push(routed({ backend: 'cloud', latencyMs: 100 + i * 100 }));
    // The failure has left the window of five: healthy again, mean of 100..500 ms.
    expect(healthOf(log.backends.get('cloud'))).toBe('ok');
    expect(recentLatency(log.backends.get('cloud'))).toBe(300);
    log.push(routed({ backend: 'cloud', status: 502 }));
    expect(healthOf(log.backends.get('cloud'))).toBe('failing');
    // A 4xx is the request's fault, not the backend's.
    log.push(routed({ backend: 'local', status: 400 }));
    expect(healthOf(log.backends.get('local'))).toBe('ok');
    expect(log.backends.get('cloud')?.failures).toBe(2);
  });

  it('summarises findings by kind and count, prices in dollars, and marks a fallback', () => {
    expect(findingsSummary({})).toBe('no findings');
    expect(findingsSummary({ email: 2, aws_access_key_id: 1 })).toBe('email×2, aws_access_key_id×1');
    expect([usd(0), usd(0.00123), usd(0.00001234), usd(2.5)]).toEqual(['$0', '$0.0012', '$0.000012', '$2.50']);
    expect(callSummary(routed({ backend: 'local', tier: 'local', costUsd: 0.0021, fallback: [{ backend: 'cloud', error: 'HTTP 503' }] }))).toBe(
      'local (local) · no findings · 120→30 tok · $0.0021 · 340ms · ↯ fallback',
    );
  });
});
