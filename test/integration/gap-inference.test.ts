import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAND_IN_KEY } from '../../core/inference/agent-env.ts';
import { startFakeLlm, type FakeLlm } from '../fixtures/llm/server.ts';
import { bridgeGateway } from './egress-helpers.ts';
import { execCapture, gateway, uniqueName } from './helpers.ts';

// Agents find the privacy router through their SDKs' own variables, and a sandbox's inference overrides
// do not outlive it.
const gw = gateway();
const name = uniqueName('gap-inf');
const custom = uniqueName('gap-inf-env');
const ghost = uniqueName('gap-ghost');
const run = randomBytes(3).toString('hex');
const BACKEND = `gap-local-${run}`;
const ALIAS = `gap-smart-${run}`;
let llm: FakeLlm;

beforeAll(async () => {
  llm = await startFakeLlm({ protocol: 'openai', host: await bridgeGateway(), reply: 'routed by inference.local' });
  await gw.updateInference({ op: 'add-backend', backend: { name: BACKEND, protocol: 'openai', url: llm.url, privacy: 'local', priceIn: 0, priceOut: 0, modelMap: { [ALIAS]: 'llama3' } } });
  await gw.updateInference({ op: 'set-route', alias: ALIAS, backends: [BACKEND] });
  await Promise.all([gw.createSandbox({ name }), gw.createSandbox({ name: custom, env: { OPENAI_BASE_URL: 'https://llm.corp.example/v1' } })]);
}, 240_000);

afterAll(async () => {
  for (const s of [name, custom]) await gw.deleteSandbox(s).catch(() => undefined);
  for (const s of [name, custom, ghost]) await gw.updateInference({ op: 'clear-overrides', sandbox: s }).catch(() => undefined);
  await gw.updateInference({ op: 'remove-route', alias: ALIAS }).catch(() => undefined);
  await gw.updateInference({ op: 'remove-backend', name: BACKEND }).catch(() => undefined);
  await llm?.close();
});

const sh = async (sandbox: string, script: string): Promise<string> => (await execCapture(gw, sandbox, ['sh', '-c', script])).stdout.toString();

describe('the agent environment points at inference.local', () => {
  it('sets OPENAI_BASE_URL with /v1 and ANTHROPIC_BASE_URL without, and NO_PROXY keeps inference.local on the proxy', async () => {
    const env = await sh(name, 'echo "$OPENAI_BASE_URL|$ANTHROPIC_BASE_URL|$NO_PROXY"');
    const [openai, anthropic, noProxy] = env.trim().split('|');
    expect(openai).toBe('https://inference.local/v1');
    expect(anthropic).toBe('https://inference.local');
    expect(noProxy).not.toMatch(/inference|\.local/);
    // The SDKs refuse to start without a key: a stand-in that is no secret.
    expect((await sh(name, 'echo "$OPENAI_API_KEY|$ANTHROPIC_API_KEY"')).trim()).toBe(`${STAND_IN_KEY}|${STAND_IN_KEY}`);
  });

  it('curl $OPENAI_BASE_URL/chat/completions and $ANTHROPIC_BASE_URL/v1/messages reach the router', async () => {
    const body = JSON.stringify({ model: ALIAS, messages: [{ role: 'user', content: 'hello' }] });
    const openai = await sh(name, `curl -sS -m 20 -H "Authorization: Bearer $OPENAI_API_KEY" -H 'content-type: application/json' -d '${body}' -w '\\n%{http_code}' "$OPENAI_BASE_URL/chat/completions"`);
    expect(openai.trim().split('\n').at(-1), openai).toBe('200');
    expect(openai).toContain('routed by inference.local');
    expect(llm.received.at(-1)).toMatchObject({ path: '/v1/chat/completions', body: { model: 'llama3' } });
    expect(JSON.stringify(llm.received.at(-1)?.headers)).not.toContain(STAND_IN_KEY);
    const msg = JSON.stringify({ model: ALIAS, max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] });
    const anthropic = await sh(name, `curl -sS -m 20 -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' -d '${msg}' -w '\\n%{http_code}' "$ANTHROPIC_BASE_URL/v1/messages"`);
    expect(anthropic.trim().split('\n').at(-1), anthropic).toBe('200');
    expect(JSON.parse(anthropic.slice(0, anthropic.lastIndexOf('\n')))).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'routed by inference.local' }] });
  });

  it("keeps the user's own --env value", async () => {
    expect((await sh(custom, 'echo "$OPENAI_BASE_URL|$ANTHROPIC_BASE_URL"')).trim()).toBe('https://llm.corp.example/v1|https://inference.local');
  });
});

describe("per-sandbox inference overrides end with their sandbox", () => {
  it('deleting a sandbox drops its overrides', async () => {
    await gw.updateInference({ op: 'set-route', alias: ALIAS, backends: [BACKEND], sandbox: custom });
    await gw.updateInference({ op: 'set-budget', budget: { limitUsd: 5, whenExhausted: 'deny' }, sandbox: custom });
    expect((await gw.getInference()).config.sandboxes?.[custom]).toBeDefined();
    await gw.deleteSandbox(custom);
    expect((await gw.getInference()).config.sandboxes?.[custom]).toBeUndefined();
  });

  it('gateway start prunes overrides of sandboxes that no longer exist, and keeps those of live ones', async () => {
    await gw.updateInference({ op: 'set-route', alias: ALIAS, backends: [BACKEND], sandbox: ghost });
    await gw.updateInference({ op: 'set-route', alias: ALIAS, backends: [BACKEND], sandbox: name });
    const notes: string[] = [];
    await gw.start({ progress: (m) => notes.push(m) });
    const { config } = await gw.getInference();
    expect(config.sandboxes?.[ghost]).toBeUndefined();
    expect(config.sandboxes?.[name]?.routes).toEqual([{ alias: ALIAS, backends: [BACKEND] }]);
    expect(notes.join('\n')).toMatch(new RegExp(`dropped inference overrides of deleted sandbox\\(es\\): .*${ghost}`));
  });
});
