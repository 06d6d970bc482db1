import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../components/App.tsx';
import { startFakeLlm, type FakeLlm } from '../fixtures/llm/server.ts';
import { KEY, renderTui, type Tui } from '../unit/tui/render.tsx';
import { RecordingHost } from '../unit/tui/fixtures.ts';
import { bridgeGateway } from './egress-helpers.ts';
import { execCapture, gateway, uniqueName } from './helpers.ts';

// The Inference pane against the real local gateway: a backend that answers 500 and one that works,
// a real sandbox calling https://inference.local, and the router's own events on screen.
const gw = gateway();
const name = uniqueName('tinf');
const run = randomBytes(3).toString('hex');
const GOOD = `tinf-good-${run}`;
const FLAKY = `tinf-flaky-${run}`;
const ALIAS = `tinf-fast-${run}`;
const AWS = ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join('');
let good: FakeLlm;
let flaky: FakeLlm;
let tui: Tui;

beforeAll(async () => {
  const bridge = await bridgeGateway();
  good = await startFakeLlm({ protocol: 'openai', host: bridge, reply: 'answer from the good model' });
  flaky = await startFakeLlm({ protocol: 'openai', host: bridge });
  flaky.behaviour = 'error500';
  await gw.updateInference({ op: 'add-backend', backend: { name: GOOD, protocol: 'openai', url: good.url, privacy: 'local', priceIn: 2, priceOut: 2 } });
  // Cheaper, so it is tried first while the content allows a public backend.
  await gw.updateInference({ op: 'add-backend', backend: { name: FLAKY, protocol: 'openai', url: flaky.url, privacy: 'public', priceIn: 0.1, priceOut: 0.1 } });
  await gw.updateInference({ op: 'set-route', alias: ALIAS, backends: [FLAKY, GOOD] });
  await gw.createSandbox({ name });
  tui = await renderTui(<App gateway={gw} host={new RecordingHost()} pollMs={500} />, { columns: 200, rows: 50 });
}, 240_000);

afterAll(async () => {
  tui?.unmount();
  await gw.deleteSandbox(name).catch(() => undefined);
  await gw.updateInference({ op: 'remove-route', alias: ALIAS }).catch(() => undefined);
  for (const b of [GOOD, FLAKY]) await gw.updateInference({ op: 'remove-backend', name: b }).catch(() => undefined);
  await Promise.all([good?.close(), flaky?.close()]);
});

async function ask(content: string): Promise<string> {
  const body = JSON.stringify({ model: ALIAS, messages: [{ role: 'user', content }] });
  const r = await execCapture(gw, name, ['curl', '-sS', '-m', '30', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'content-type: application/json', '-d', body, 'https://inference.local/v1/chat/completions']);
  return r.stdout.toString();
}

describe('the Inference pane on a real gateway', () => {
  it('lists the configured backends, unused before any call', async () => {
    await tui.waitFor(name, 20_000);
    for (let i = 0; i < 3; i++) await tui.press(KEY.tab);
    await tui.press('z');
    const f = await tui.waitFor(new RegExp(`${FLAKY} +public +\\$0\\.1/\\$0\\.1 +unused`), 10_000);
    expect(f).toMatch(new RegExp(`${GOOD} +local +\\$2/\\$2 +unused +0 req`));
  });

  it('shows a call that fell back from a failing backend, and a secret kept on the local one, as they happen', async () => {
    expect(await ask('hello there')).toBe('200');
    let f = await tui.waitFor(/↯ fallback/, 30_000);
    const line = (frame: string, re: RegExp) => frame.split('\n').find((l) => re.test(l)) ?? '';
    expect(line(f, /↯ fallback/)).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d ${name} +✓ ${GOOD} \\(local\\) · no findings · \\d+→\\d+ tok · \\$0\\.\\d+ · \\d+ms · ↯ fallback`));
    expect(f).toMatch(new RegExp(`✗ ${FLAKY} +public .*failing 1/1 +0 req`));
    expect(f).toMatch(new RegExp(`● ${GOOD} +local .*ok +1 req +\\d+ms`));

    expect(await ask(`deploy with ${AWS}`)).toBe('200');
    f = await tui.waitFor('aws_access_key_id×1', 30_000);
    expect(f).not.toContain(AWS);
    expect(f).toMatch(new RegExp(`● ${GOOD} +local .*ok +2 req`));
    // Enter on the newest: the router's reason and what it found.
    const details = await tui.press(KEY.enter);
    expect(details).toContain(`backend     ${GOOD} (local)`);
    expect(details).toContain('needs tier  local');
    expect(details).toContain('binary      /usr/bin/curl');
    expect(details).not.toContain(AWS);
    await tui.press(KEY.escape);
  });
});
