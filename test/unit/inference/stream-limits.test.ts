import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../fixtures/llm/server.ts';
import type { Backend, InferenceConfig } from '../../../core/inference/types.ts';
import { call, chat, sseData, startRouter, type RouterHarness } from './harness.ts';

// Streamed answers are bounded like whole ones: a backend that streams without end is cut at the size
// cap, one that falls silent mid-stream at the idle limit; either way the agent reads an error event.

let llm: FakeLlm | undefined;
let router: RouterHarness | undefined;

afterEach(async () => {
  await router?.close();
  await llm?.close();
  router = llm = undefined;
});

async function setup(protocol: 'openai' | 'anthropic', behaviour: FakeLlm['behaviour'], opts: { idleMs?: number; maxStreamBytes?: number }): Promise<RouterHarness> {
  llm = await startFakeLlm({ protocol });
  llm.behaviour = behaviour;
  const b: Backend = { name: 'runner', protocol, url: llm.url, privacy: 'local', priceIn: 0, priceOut: 0 };
  const config: InferenceConfig = { version: 1, backends: [b], routes: [{ alias: 'smart', backends: ['runner'] }] };
  return (router = await startRouter(config, {}, opts));
}

describe('streamed answers are bounded', () => {
  it('cuts a runaway stream at the size cap and ends it with an error event the client can read', async () => {
    const r = await setup('openai', 'runaway-stream', { maxStreamBytes: 1 << 20 });
    const t = performance.now();
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('go', { stream: true }));
    expect(performance.now() - t).toBeLessThan(5_000);
    expect(a.status).toBe(200);
    // About the cap got through (at most one 64 KiB chunk past what was relayed), then the error event.
    expect(a.text.length).toBeLessThan((1 << 20) + 128 * 1024);
    expect(a.text.length).toBeGreaterThan(512 * 1024);
    const last = JSON.parse(sseData(a.text).at(-1)!) as { error: { type: string; message: string } };
    expect(last.error.type).toBe('response_too_large');
    expect(last.error.message).toMatch(/more than 1 MiB/);
    expect(last.error.message).not.toContain(String(llm!.port));
    expect(r.calls[0]).toMatchObject({ error: 'response_too_large', details: { stream: true, backend: 'runner' } });
  });

  it('cuts a runaway stream translated for the other protocol, with an Anthropic error event', async () => {
    const r = await setup('openai', 'runaway-stream', { maxStreamBytes: 1 << 20 });
    const a = await call(r.url, 'POST', '/v1/messages', { model: 'smart', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'go' }] });
    expect(a.status).toBe(200);
    expect(a.text).toMatch(/event: error\ndata: .*"type":"response_too_large"/);
    expect(a.text).not.toContain('message_stop');
  });

  it('ends a stream whose backend falls silent mid-answer, and closes the backend connection', async () => {
    const r = await setup('anthropic', 'stall-mid-stream', { idleMs: 300 });
    const t = performance.now();
    const a = await call(r.url, 'POST', '/v1/messages', { model: 'smart', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'go' }] });
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(a.text).toContain('content_block_delta');
    const last = JSON.parse(sseData(a.text).at(-1)!) as { type: string; error: { type: string; message: string } };
    expect(last).toMatchObject({ type: 'error', error: { type: 'upstream_timeout' } });
    expect(last.error.message).toMatch(/sent nothing for 300 ms/);
    expect(r.calls[0]).toMatchObject({ error: 'upstream_timeout' });
  });
});
