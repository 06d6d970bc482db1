import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceConfig } from '../../core/inference/types.ts';
import { startFakeLlm, type FakeLlm } from '../fixtures/llm/server.ts';
import { bridgeGateway, supervisorLines, waitForLine } from './egress-helpers.ts';
import { cli, execCapture, gateway, uniqueName } from './helpers.ts';

// The privacy router end to end: backends configured on the gateway, delivered to a real sandbox, and
// `curl https://inference.local/…` from inside it; the "LLMs" are stand-in servers on the Docker host.
const gw = gateway();
const name = uniqueName('inf');
const run = randomBytes(3).toString('hex');
const LOCAL = `inf-local-${run}`;
const CLOUD = `inf-cloud-${run}`;
const PROVIDER = `inf-anthropic-${run}`;
const ALIAS = `inf-smart-${run}`;
const KEY = `sk-ant-api03-${randomBytes(16).toString('hex')}`;
const AWS = ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join('');
let local: FakeLlm;
let cloud: FakeLlm;
let before: InferenceConfig;

beforeAll(async () => {
  const bridge = await bridgeGateway();
  local = await startFakeLlm({ protocol: 'openai', host: bridge, reply: 'answer from the local model' });
  cloud = await startFakeLlm({ protocol: 'anthropic', host: bridge, key: KEY, reply: 'answer from the cloud model' });
  before = (await gw.getInference()).config;
  await gw.createProvider({ name: PROVIDER, type: 'anthropic', credentials: { ANTHROPIC_API_KEY: KEY } });
  // Through the CLI, as an operator would.
  const add = await cli(['inference', 'backend', 'add', LOCAL, '--protocol', 'openai', '--url', local.url, '--privacy', 'local', '--price-in', '2', '--price-out', '2', '--model-map', `${ALIAS}=llama3`]);
  expect(add.code, add.stderr).toBe(0);
  const addCloud = await cli(['inference', 'backend', 'add', CLOUD, '--protocol', 'anthropic', '--url', cloud.url, '--privacy', 'public', '--price-in', '0.1', '--price-out', '0.1', '--provider', PROVIDER, '--model-map', `${ALIAS}=claude-haiku`]);
  expect(addCloud.code, addCloud.stderr).toBe(0);
  expect((await cli(['inference', 'route', 'set', ALIAS, LOCAL, CLOUD])).code).toBe(0);
  await gw.createSandbox({ name });
}, 240_000);

afterAll(async () => {
  await gw.deleteSandbox(name).catch(() => undefined);
  await gw.updateInference({ op: 'clear-overrides', sandbox: name }).catch(() => undefined);
  // Leave the gateway's inference configuration as it was before this file ran.
  await gw.updateInference({ op: 'remove-route', alias: ALIAS }).catch(() => undefined);
  for (const b of [LOCAL, CLOUD]) await gw.updateInference({ op: 'remove-backend', name: b }).catch(() => undefined);
  if (before.policy === undefined) await gw.updateInference({ op: 'clear-policy' }).catch(() => undefined);
  await gw.deleteProvider(PROVIDER).catch(() => undefined);
  await Promise.all([local?.close(), cloud?.close()]);
});

async function ask(content: string, extra: Record<string, unknown> = {}, flags: string[] = []): Promise<{ code: string; body: string }> {
  const body = JSON.stringify({ model: ALIAS, messages: [{ role: 'user', content }], ...extra });
  const r = await execCapture(gw, name, ['curl', '-sS', '-m', '20', ...flags, '-H', 'content-type: application/json', '-H', 'authorization: Bearer agent-own-token', '-d', body, '-w', '\n%{http_code}', 'https://inference.local/v1/chat/completions']);
  const text = r.stdout.toString();
  const i = text.lastIndexOf('\n');
  return { code: text.slice(i + 1), body: text.slice(0, i) + r.stderr.toString() };
}

describe('inference.local in a sandbox', () => {
  it('keeps a prompt with an AWS key on the local backend; the same prompt without it goes to the cheaper cloud', async () => {
    const secret = await ask(`deploy with ${AWS}`);
    expect(secret.code, secret.body).toBe('200');
    expect(JSON.parse(secret.body)).toMatchObject({ choices: [{ message: { content: 'answer from the local model' } }] });
    expect(local.received.at(-1)!.body.model).toBe('llama3');

    const plain = await ask('deploy with the usual key');
    expect(plain.code, plain.body).toBe('200');
    // OpenAI in, Anthropic to the backend, OpenAI back out.
    expect(JSON.parse(plain.body)).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'answer from the cloud model' } }] });
    const seen = cloud.received.at(-1)!;
    expect(seen.path).toBe('/v1/messages');
    expect(seen.body.model).toBe('claude-haiku');
    expect(seen.headers['x-api-key']).toBe(KEY);
    expect(seen.headers.authorization).toBeUndefined();
    expect(JSON.stringify(seen.headers)).not.toContain('agent-own-token');
    expect(plain.body).not.toContain(KEY);
  });

  it('streams through translation, chunk by chunk, to the end', async () => {
    const r = await ask('count please', { stream: true }, ['-N']);
    expect(r.code).toBe('200');
    const data = r.body.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
    expect(data.at(-1)).toBe('[DONE]');
    const text = data.slice(0, -1).map((d) => (JSON.parse(d) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('answer from the cloud model');
  });

  it('answers other paths with 403, and logs each call with its backend and findings but never the secret', async () => {
    const other = await execCapture(gw, name, ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', 'https://inference.local/admin']);
    expect(other.stdout.toString()).toBe('403');
    const code = async (script: string): Promise<string> => (await execCapture(gw, name, ['sh', '-c', script])).stdout.toString();
    const post = "curl -sS -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary @- https://inference.local/v1/chat/completions";
    expect(await code(`printf '{"model": ' | ${post}`)).toBe('400');
    expect(await code(`head -c 20000000 /dev/zero | tr '\\0' a | ${post}`)).toBe('413');
    const lines = (await supervisorLines(name)).filter((l) => l.type === 'decision' && l.layer === 'inference');
    expect(lines.find((l) => (l.inference as { findings?: Record<string, number> }).findings?.aws_access_key_id === 1)).toMatchObject({ rule: LOCAL, binary: '/usr/bin/curl', host: 'inference.local' });
    expect(JSON.stringify(lines)).not.toContain(AWS);
    const logs = await cli(['logs', name]);
    expect(logs.stdout.toString()).toMatch(new RegExp(`ALLOW POST inference.local/v1/chat/completions \\(/usr/bin/curl\\) → ${LOCAL} \\(local\\).*\\[aws_access_key_id×1\\]`));
    const ocsf = await cli(['logs', name, '--ocsf']);
    expect(ocsf.stdout.toString()).toContain('"class_uid":6003');
  });

  it('takes a route change from the gateway without a restart', async () => {
    const r = await cli(['inference', 'route', 'set', ALIAS, LOCAL]);
    expect(r.stderr).toMatch(/delivered to \d+ sandbox/);
    await waitForLine(name, (l) => l.type === 'inference' && l.status === 'loaded' && l.backends !== undefined, 10_000);
    // Poll: the supervisor reads the file within half a second of it changing.
    let served = '';
    for (let i = 0; i < 20 && served !== 'answer from the local model'; i++) {
      const a = await ask('no secrets here');
      served = (JSON.parse(a.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
      if (served !== 'answer from the local model') await new Promise((res) => setTimeout(res, 300));
    }
    expect(served).toBe('answer from the local model');
  });

  it('refuses a broken privacy policy with positions, and applies a good one (deny, redact) to the next request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inf-policy-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nrules:\n  - { match: credit_card, action: redakt }\n');
    const refused = await cli(['inference', 'policy', 'set', bad]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(new RegExp(`${bad}:3:\\d+: error: rules\\[0\\]\\.action: \`"?redakt"?\` is not one of`));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'version: 1\nrules:\n  - { match: private_key, action: deny }\n  - { match: credit_card, action: redact }\n  - { match: secret, tier: local }\n');
    const set = await cli(['inference', 'policy', 'set', good]);
    expect(set.code, set.stderr).toBe(0);
    let answer = { code: '', body: '' };
    for (let i = 0; i < 20; i++) {
      answer = await ask(`-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----`);
      if (answer.code === '403') break;
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(answer.code).toBe('403');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { type: 'privacy_denied', findings: { private_key: 1 } } });
    const card = await ask('charge 4111 1111 1111 1111 today');
    expect(card.code).toBe('200');
    expect(JSON.stringify(local.received.at(-1)!.body)).toContain('charge [REDACTED:credit_card] today');
  });

  it('explains a request without sending it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inf-explain-'));
    const file = join(dir, 'request.json');
    writeFileSync(file, JSON.stringify({ model: ALIAS, messages: [{ role: 'user', content: `key ${AWS}` }] }));
    const sent = local.received.length + cloud.received.length;
    const r = await cli(['inference', 'explain', '--file', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString().split('\n')[0]).toBe(`→ ${LOCAL} (local) as model \`llama3\``);
    expect(r.stdout.toString()).toContain('finding: aws_access_key_id');
    expect(r.stdout.toString()).not.toContain(AWS);
    expect(local.received.length + cloud.received.length).toBe(sent);
  });

  it('ends a stream whose backend dies with an error event; the next request falls back', async () => {
    expect((await cli(['inference', 'route', 'set', ALIAS, CLOUD, LOCAL])).code).toBe(0);
    cloud.behaviour = 'die-mid-stream';
    try {
      let r = { code: '', body: '' };
      for (let i = 0; i < 20; i++) {
        r = await ask('stream please', { stream: true }, ['-N']);
        if (cloud.received.at(-1)?.body.stream === true) break;
        await new Promise((res) => setTimeout(res, 300));
      }
      const data = r.body.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
      expect(data).not.toContain('[DONE]');
      expect(JSON.parse(data.at(-1)!)).toMatchObject({ error: { type: 'upstream_error' } });
      const next = await ask('and now?');
      expect(JSON.parse(next.body)).toMatchObject({ choices: [{ message: { content: 'answer from the local model' } }] });
    } finally {
      cloud.behaviour = 'ok';
    }
  });

  it('applies a per-sandbox budget override: once spent, this sandbox gets 429', async () => {
    const set = await cli(['inference', 'budget', 'set', '0', '--when-exhausted', 'deny', '--sandbox', name]);
    expect(set.code, set.stderr).toBe(0);
    let r = { code: '', body: '' };
    for (let i = 0; i < 20 && r.code !== '429'; i++) {
      r = await ask('anything');
      if (r.code !== '429') await new Promise((res) => setTimeout(res, 300));
    }
    expect(r.code).toBe('429');
    expect(JSON.parse(r.body)).toMatchObject({ error: { type: 'budget_exhausted' } });
    expect((await gw.getInference()).config.budget).toBeUndefined();
  });
});
