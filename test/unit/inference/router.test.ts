import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../fixtures/llm/server.ts';
import type { Backend, InferenceConfig } from '../../../core/inference/types.ts';
import { AWS_KEY, call, chat, sseData, startRouter, type RouterHarness } from './harness.ts';

// The router against real loopback servers standing in for a local model server and two paid APIs.
const PUBLIC_KEY = 'sk-public-backend-secret-0123456789';
const ANTHROPIC_KEY = 'sk-ant-api03-backend-secret-abcdefghij';

let local: FakeLlm;
let cheap: FakeLlm;
let claude: FakeLlm;
let router: RouterHarness | undefined;

const backend = (name: string, llm: FakeLlm, extra: Partial<Backend>): Backend => ({
  name,
  protocol: 'openai',
  url: llm.url,
  privacy: 'public',
  priceIn: 1,
  priceOut: 1,
  ...extra,
});

function config(extra: Partial<InferenceConfig> = {}): InferenceConfig {
  return {
    version: 1,
    backends: [
      backend('local-llama', local, { privacy: 'local', priceIn: 5, priceOut: 5, modelMap: { smart: 'llama3' } }),
      backend('cheap-public', cheap, { privacy: 'public', priceIn: 0.1, priceOut: 0.2, provider: 'openai-prov', modelMap: { smart: 'gpt-4o-mini' } }),
      backend('claude', claude, { protocol: 'anthropic', privacy: 'private', priceIn: 3, priceOut: 15, provider: 'anthropic-prov', modelMap: { smart: 'claude-sonnet' } }),
    ],
    routes: [{ alias: 'smart', backends: ['local-llama', 'cheap-public', 'claude'] }],
    policy: 'version: 1\nrules:\n  - { match: private_key, action: deny }\n  - { match: credit_card, action: redact }\n  - { match: secret, tier: local }\n',
    ...extra,
  };
}

beforeEach(async () => {
  local = await startFakeLlm({ protocol: 'openai', reply: 'local says hi' });
  cheap = await startFakeLlm({ protocol: 'openai', key: PUBLIC_KEY, reply: 'cheap says hi' });
  claude = await startFakeLlm({ protocol: 'anthropic', key: ANTHROPIC_KEY, reply: 'claude says hi there friend' });
});

afterEach(async () => {
  await router?.close();
  router = undefined;
  await Promise.all([local.close(), cheap.close(), claude.close()]);
});

const start = async (c: InferenceConfig = config(), opts: { idleMs?: number } = {}): Promise<RouterHarness> =>
  (router = await startRouter(c, { 'openai-prov': PUBLIC_KEY, 'anthropic-prov': ANTHROPIC_KEY }, opts));

describe('privacy routing', () => {
  it('sends a prompt with an AWS key to the local backend even though a public one is cheaper', async () => {
    const r = await start();
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat(`deploy with ${AWS_KEY} please`));
    expect(a.status).toBe(200);
    expect(a.headers['x-inference-backend']).toBe('local-llama');
    expect(local.received).toHaveLength(1);
    expect(cheap.received).toHaveLength(0);
    expect(local.received[0]!.body.model).toBe('llama3');
    const ev = r.calls[0]!;
    expect(ev.details).toMatchObject({ backend: 'local-llama', tier: 'local', requiredTier: 'local', findings: { aws_access_key_id: 1 } });
    // Kinds and counts only: the key itself is in no event.
    expect(JSON.stringify(r.calls)).not.toContain(AWS_KEY);
  });

  it('sends the same prompt without the key to the cheapest backend', async () => {
    const r = await start();
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('deploy with the usual key please'));
    expect(a.status).toBe(200);
    expect(a.json<{ choices: { message: { content: string } }[] }>().choices[0]!.message.content).toBe('cheap says hi');
    expect(cheap.received[0]!.body.model).toBe('gpt-4o-mini');
    expect(r.calls[0]!.details).toMatchObject({ backend: 'cheap-public', tier: 'public', findings: {} });
    expect(r.calls[0]!.details.costUsd).toBeGreaterThan(0);
  });

  it('redacts a card number before the request leaves', async () => {
    const r = await start();
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('charge 4111 1111 1111 1111 for the order'));
    expect(a.status).toBe(200);
    const sent = JSON.stringify(cheap.received[0]!.body);
    expect(sent).not.toContain('4111 1111 1111 1111');
    expect(sent).toContain('charge [REDACTED:credit_card] for the order');
    expect(r.calls[0]!.details).toMatchObject({ redacted: 1, findings: { credit_card: 1 } });
  });

  it('denies a private key block with 403 naming the finding kinds', async () => {
    const r = await start();
    const pem = ['-----BEGIN RSA PRIVATE', 'KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE', 'KEY-----'].join(' ');
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat(`here is my key ${pem}`));
    expect(a.status).toBe(403);
    const err = a.json<{ error: { type: string; findings: Record<string, number>; message: string } }>().error;
    expect(err.type).toBe('privacy_denied');
    expect(err.findings).toEqual({ private_key: 1 });
    expect(a.text).not.toContain('MIIEowIBAAKCAQEA7');
    expect(local.received.length + cheap.received.length + claude.received.length).toBe(0);
    expect(r.calls[0]).toMatchObject({ action: 'deny', error: 'privacy_denied' });
  });
});

describe('credential swap', () => {
  it("never shows the backend the agent's credentials, and injects the backend's own", async () => {
    const r = await start();
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hello'), {
      authorization: 'Bearer agent-token-should-not-leave',
      'x-api-key': 'agent-api-key',
      cookie: 'session=agent-cookie',
      'openai-organization': 'org-agent',
      'x-custom': 'anything',
    });
    expect(a.status).toBe(200);
    const h = cheap.received[0]!.headers;
    expect(h.authorization).toBe(`Bearer ${PUBLIC_KEY}`);
    expect(h['x-api-key']).toBeUndefined();
    expect(h.cookie).toBeUndefined();
    expect(h['openai-organization']).toBeUndefined();
    expect(h['x-custom']).toBeUndefined();
    expect(JSON.stringify(h)).not.toMatch(/agent-|org-agent/);
  });

  it('never shows the agent the backend key or URL, even when the backend echoes them in an error', async () => {
    const r = await start();
    cheap.behaviour = 'auth-error';
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hello'));
    expect(a.status).toBe(401);
    expect(a.text).toContain('cheap-public');
    expect(a.text).not.toContain(PUBLIC_KEY);
    expect(a.text).not.toContain(PUBLIC_KEY.slice(0, 8));
    expect(a.text).not.toContain(String(cheap.port));
    expect(JSON.stringify(a.headers)).not.toContain(PUBLIC_KEY);
  });

  it('uses x-api-key and anthropic-version for an Anthropic backend', async () => {
    const r = await start(config({ routes: [{ alias: 'smart', backends: ['claude'] }] }));
    const a = await call(r.url, 'POST', '/v1/messages', { model: 'smart', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': 'agent-key' });
    expect(a.status).toBe(200);
    expect(claude.received[0]!.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(claude.received[0]!.headers['anthropic-version']).toBe('2023-06-01');
    expect(claude.received[0]!.body.model).toBe('claude-sonnet');
  });
});

describe('translation and streaming', () => {
  it('answers an OpenAI request from an Anthropic backend (whole response)', async () => {
    const r = await start(config({ routes: [{ alias: 'smart', backends: ['claude'] }] }));
    const a = await call(r.url, 'POST', '/v1/chat/completions', { model: 'smart', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] });
    expect(a.status).toBe(200);
    const body = a.json<{ object: string; choices: { message: { content: string }; finish_reason: string }[]; usage: { prompt_tokens: number } }>();
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]).toMatchObject({ message: { content: 'claude says hi there friend' }, finish_reason: 'stop' });
    expect(body.usage.prompt_tokens).toBe(11);
    expect(claude.received[0]!.path).toBe('/v1/messages');
    expect(claude.received[0]!.body).toMatchObject({ system: 'be brief', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4096 });
    expect(r.calls[0]!.details).toMatchObject({ translated: true, tokensIn: 11, tokensOut: 5 });
  });

  it('streams an OpenAI request through an Anthropic backend chunk by chunk', async () => {
    const r = await start(config({ routes: [{ alias: 'smart', backends: ['claude'] }] }));
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hi', { stream: true }));
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toMatch(/text\/event-stream/);
    const data = sseData(a.text);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: { delta: { content?: string }; finish_reason: string | null }[] });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('claude says hi there friend');
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
    expect(r.calls[0]!.details).toMatchObject({ stream: true, translated: true, tokensIn: 11, tokensOut: 5 });
  });

  it('streams an Anthropic request through an OpenAI backend', async () => {
    const r = await start(config({ routes: [{ alias: 'smart', backends: ['local-llama'] }] }));
    const a = await call(r.url, 'POST', '/v1/messages', { model: 'smart', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(a.status).toBe(200);
    const events = sseData(a.text).map((d) => JSON.parse(d) as { type: string; delta?: { text?: string; stop_reason?: string } });
    expect(events[0]!.type).toBe('message_start');
    expect(events.at(-1)!.type).toBe('message_stop');
    expect(events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta!.text).join('')).toBe('local says hi');
    expect(events.find((e) => e.type === 'message_delta')!.delta!.stop_reason).toBe('end_turn');
    expect(local.received[0]!.path).toBe('/v1/chat/completions');
    expect(local.received[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('keeps requests with tools on backends of their own protocol', async () => {
    const r = await start(config({ routes: [{ alias: 'smart', backends: ['claude', 'cheap-public'] }] }));
    const a = await call(r.url, 'POST', '/v1/messages', {
      model: 'smart',
      max_tokens: 20,
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: 'weather?' }],
    });
    expect(a.status).toBe(200);
    expect(a.headers['x-inference-backend']).toBe('claude');
    const withTools = await call(r.url, 'POST', '/v1/chat/completions', chat('weather?', { tools: [{ type: 'function', function: { name: 'w' } }] }));
    expect(withTools.headers['x-inference-backend']).toBe('cheap-public');
  });

  it('ends a stream whose backend dies with an error event, and the next request falls back', async () => {
    const r = await start(config({ routes: [{ alias: 'smart', backends: ['cheap-public', 'claude'] }] }));
    cheap.behaviour = 'die-mid-stream';
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hi', { stream: true }));
    expect(a.status).toBe(200);
    const data = sseData(a.text);
    expect(data).not.toContain('[DONE]');
    const last = JSON.parse(data.at(-1)!) as { error?: { type: string; message: string } };
    expect(last.error?.type).toBe('upstream_error');
    expect(last.error?.message).not.toContain(String(cheap.port));
    expect(r.calls[0]).toMatchObject({ error: 'upstream_stream_broken' });
    const b = await call(r.url, 'POST', '/v1/chat/completions', chat('hi again', { stream: true }));
    expect(b.headers['x-inference-backend']).toBe('claude');
    expect(sseData(b.text).at(-1)).toBe('[DONE]');
  });

  it('falls back to the next backend on an upstream 500 in the same request', async () => {
    const r = await start(config({ routes: [{ alias: 'smart', backends: ['cheap-public', 'claude'] }] }));
    cheap.behaviour = 'error500';
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hi'));
    expect(a.status).toBe(200);
    expect(a.headers['x-inference-backend']).toBe('claude');
    expect(r.calls[0]!.details.fallback).toEqual([{ backend: 'cheap-public', error: 'answered 500' }]);
    expect(r.calls[0]!.reason).toMatch(/after `cheap-public` answered 500/);
  });

  it('falls back when a backend does not answer within its timeout', async () => {
    const c = config({ routes: [{ alias: 'smart', backends: ['cheap-public', 'claude'] }] });
    const r = await start({ ...c, backends: c.backends.map((b) => (b.name === 'cheap-public' ? { ...b, timeoutMs: 200 } : b)) });
    cheap.behaviour = 'hang';
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hi'));
    expect(a.headers['x-inference-backend']).toBe('claude');
    expect(r.calls[0]!.details.fallback).toEqual([{ backend: 'cheap-public', error: 'timed out' }]);
  });

  it('estimates output tokens from the streamed text when the backend reports no usage, and charges the budget', async () => {
    const quiet = await startFakeLlm({ protocol: 'openai', usage: false, reply: 'x'.repeat(400) });
    try {
      const r = await start({ ...config(), backends: [backend('quiet', quiet, { priceIn: 0, priceOut: 1_000_000 })], routes: [{ alias: 'smart', backends: ['quiet'] }] });
      await call(r.url, 'POST', '/v1/chat/completions', chat('hi', { stream: true }));
      expect(r.calls[0]!.details.tokensOut).toBe(100);
      expect(r.spend.spentUsd).toBeCloseTo(100);
    } finally {
      await quiet.close();
    }
  });

  it('ends a stream that stalls longer than the idle limit with an error event', async () => {
    const slow = await startFakeLlm({ protocol: 'openai', chunkDelayMs: 1000, reply: 'a b c' });
    try {
      const r = await start({ ...config(), backends: [backend('slow', slow, {})], routes: [{ alias: 'smart', backends: ['slow'] }] }, { idleMs: 200 });
      const t = performance.now();
      const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hi', { stream: true }));
      expect(performance.now() - t).toBeLessThan(900);
      const data = sseData(a.text);
      expect(data).toHaveLength(2);
      expect(JSON.parse(data[1]!)).toMatchObject({ error: { type: 'upstream_timeout' } });
    } finally {
      await slow.close();
    }
  });

  it('answers 502 without addresses when every backend fails', async () => {
    const r = await start(config({ routes: [{ alias: 'smart', backends: ['cheap-public'] }] }));
    await cheap.close();
    const a = await call(r.url, 'POST', '/v1/chat/completions', chat('hi'));
    expect(a.status).toBe(502);
    expect(a.json<{ error: { message: string } }>().error.message).toMatch(/cheap-public. refused the connection/);
    expect(a.text).not.toContain('127.0.0.1');
    cheap = await startFakeLlm({ protocol: 'openai' });
  });
});

describe('requests the router refuses', () => {
  it('answers 400 to malformed JSON, 413 to a 20 MB body and 403 to an unknown path', async () => {
    const r = await start();
    const bad = await call(r.url, 'POST', '/v1/chat/completions', '{"model": "smart", "messages": [');
    expect(bad.status).toBe(400);
    expect(bad.json<{ error: { message: string } }>().error.message).toMatch(/not valid JSON/);
    const big = await call(r.url, 'POST', '/v1/chat/completions', JSON.stringify(chat('x'.repeat(20 * 1024 * 1024))));
    expect(big.status).toBe(413);
    const other = await call(r.url, 'GET', '/admin', undefined);
    expect(other.status).toBe(403);
    expect(other.text).toMatch(/not an inference API/);
    const wrongMethod = await call(r.url, 'GET', '/v1/chat/completions', undefined);
    expect(wrongMethod.status).toBe(403);
    const noModel = await call(r.url, 'POST', '/v1/chat/completions', { messages: [] });
    expect(noModel.status).toBe(400);
    expect(local.received.length + cheap.received.length + claude.received.length).toBe(0);
  });

  it('lists route aliases and mapped models at GET /v1/models without calling a backend', async () => {
    const r = await start();
    const a = await call(r.url, 'GET', '/v1/models');
    expect(a.json<{ object: string; data: { id: string }[] }>()).toEqual({ object: 'list', data: [{ id: 'smart', object: 'model', owned_by: 'openshell' }] });
    const anthropic = await call(r.url, 'GET', '/v1/models', undefined, { 'anthropic-version': '2023-06-01' });
    expect(anthropic.json()).toEqual({ data: [{ id: 'smart', type: 'model', display_name: 'smart' }], has_more: false });
    expect(local.received.length + cheap.received.length + claude.received.length).toBe(0);
  });

  it('sends embeddings and legacy completions only to OpenAI backends, on their own paths', async () => {
    const r = await start(config({ routes: [{ alias: 'smart', backends: ['claude', 'cheap-public'] }] }));
    const e = await call(r.url, 'POST', '/v1/embeddings', { model: 'smart', input: ['a', 'b'] });
    expect(e.headers['x-inference-backend']).toBe('cheap-public');
    expect(cheap.received.at(-1)).toMatchObject({ path: '/v1/embeddings', body: { model: 'gpt-4o-mini', input: ['a', 'b'] } });
    const c = await call(r.url, 'POST', '/v1/completions', { model: 'smart', prompt: 'once upon' });
    expect(c.status).toBe(200);
    expect(cheap.received.at(-1)!.path).toBe('/v1/completions');
    expect(claude.received).toHaveLength(0);
  });

  it('answers 429 once the budget is spent, or keeps serving from local backends', async () => {
    const r = await start(config({ budget: { limitUsd: 0.000001, whenExhausted: 'deny' } }));
    expect((await call(r.url, 'POST', '/v1/chat/completions', chat('hi'))).status).toBe(200);
    const over = await call(r.url, 'POST', '/v1/chat/completions', chat('hi'));
    expect(over.status).toBe(429);
    expect(over.json<{ error: { type: string } }>().error.type).toBe('budget_exhausted');
    r.setConfig(config({ budget: { limitUsd: 0.000001, whenExhausted: 'local' } }));
    const local1 = await call(r.url, 'POST', '/v1/chat/completions', chat('hi'));
    expect(local1.headers['x-inference-backend']).toBe('local-llama');
    expect(r.calls.at(-1)!.details.budgetLimited).toBe(true);
  });
});
