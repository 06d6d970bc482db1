import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../components/App.tsx';
import type { Backend, InferenceConfig } from '../../../core/inference/types.ts';
import { KEY, renderTui, type Tui } from './render.tsx';
import { RecordingHost, routed, sandbox, TestGateway } from './fixtures.ts';

let tui: Tui | undefined;
afterEach(() => tui?.unmount());

const backend = (name: string, extra: Partial<Backend> = {}): Backend => ({ name, protocol: 'openai', url: `http://${name}.test/v1`, privacy: 'local', priceIn: 0, priceOut: 0, ...extra });

const CONFIG: InferenceConfig = {
  version: 1,
  backends: [backend('local-llm'), backend('cloud-fast', { privacy: 'public', priceIn: 0.15, priceOut: 0.6 }), backend('spare', { privacy: 'private', priceIn: 1, priceOut: 2 })],
  routes: [{ alias: 'fast', backends: ['cloud-fast', 'local-llm'] }],
};

/** The workbench on a gateway with three backends, the Inference pane focused (and zoomed when asked). */
async function start(opts: { columns?: number; rows?: number; zoom?: boolean; config?: InferenceConfig } = {}) {
  const gw = new TestGateway();
  gw.sandboxes = [sandbox('alpha'), sandbox('beta')];
  gw.routerConfig = opts.config ?? CONFIG;
  tui = await renderTui(<App gateway={gw} host={new RecordingHost()} pollMs={1000} />, { columns: opts.columns ?? 160, rows: opts.rows ?? 36 });
  await tui.waitFor('beta');
  for (let i = 0; i < 3; i++) await tui.press(KEY.tab);
  await tui.waitFor('▸ Inference');
  if (opts.zoom) await tui.press('z');
  return { gw, tui };
}

/** Three calls: a clean local one, a secret that fell back from the cloud, and a privacy deny in beta. */
function emitCalls(gw: TestGateway) {
  gw.events.emit('traffic', routed({ findings: {} }, { time: '2026-11-30T04:10:01.000Z' }));
  gw.events.emit(
    'traffic',
    routed(
      { backend: 'local-llm', tier: 'local', findings: { aws_access_key_id: 1, email: 2 }, requiredTier: 'local', tokensIn: 500, tokensOut: 80, latencyMs: 1200, fallback: [{ backend: 'cloud-fast', error: 'HTTP 503' }] },
      { time: '2026-11-30T04:10:02.000Z', reason: 'served by `local-llm` (local) after `cloud-fast` HTTP 503' },
    ),
  );
  gw.events.emit(
    'traffic',
    routed(
      { backend: undefined, tier: undefined, status: 403, findings: { private_key: 1 }, tokensIn: 0, tokensOut: 0, latencyMs: 2 },
      { sandbox: 'beta', action: 'deny', time: '2026-11-30T04:10:03.000Z', reason: 'the privacy policy denies requests with a private key', error: 'privacy_denied' },
    ),
  );
}

describe('the Inference pane', () => {
  it('lists every backend with its tier, price, health, recent latency and requests, from the router config and its events', async () => {
    const { gw, tui } = await start({ zoom: true });
    expect(await tui.waitFor('3 backends · 1 route · 0 calls')).toMatch(/○ local-llm +local +\$0\/\$0 +unused +0 req +-/);
    expect(tui.frame()).toMatch(/○ cloud-fast +public +\$0\.15\/\$0\.6 +unused/);
    emitCalls(gw);
    const f = await tui.waitFor('3 calls');
    // Two answers from local-llm (340 ms and 1200 ms): healthy, mean latency 770 ms.
    expect(f).toMatch(/● local-llm +local +\$0\/\$0 +ok +2 req +770ms/);
    // Passed over once for a 503: failing, and it answered nothing.
    expect(f).toMatch(/✗ cloud-fast +public +\$0\.15\/\$0\.6 +failing 1\/1 +0 req +-/);
    expect(f).toMatch(/○ spare +private +\$1\/\$2 +unused/);
  });

  it('shows recent routing decisions newest first: time, sandbox, backend, tier, findings, tokens, cost, latency, fallback', async () => {
    const { gw, tui } = await start({ zoom: true });
    emitCalls(gw);
    const f = await tui.waitFor('3 calls');
    const lines = f.split('\n').filter((l) => /04:10:0\d /.test(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/04:10:03 beta +✗ no backend · private_key×1 · 0→0 tok · \$0 · 2ms · the privacy policy denies requests with a private key/);
    expect(lines[1]).toMatch(/04:10:02 alpha +✓ local-llm \(local\) · aws_access_key_id×1, email×2 · 500→80 tok · \$0 · 1200ms · ↯ fallback/);
    expect(lines[2]).toMatch(/04:10:01 alpha +✓ local-llm \(local\) · no findings · 120→30 tok · \$0 · 340ms/);
    expect(lines[2]).not.toContain('fallback');
  });

  it('Enter shows a decision with its reason, findings and fallbacks; ↓ moves to an older one', async () => {
    const { gw, tui } = await start({ zoom: true });
    emitCalls(gw);
    await tui.waitFor('3 calls');
    let f = await tui.press(KEY.enter);
    expect(f).toContain('Inference call');
    expect(f).toContain('reason      the privacy policy denies requests with a private key');
    expect(f).toContain('findings    private_key×1');
    await tui.press(KEY.escape);
    await tui.press(KEY.down);
    f = await tui.press(KEY.enter);
    expect(f).toContain('reason      served by `local-llm` (local) after `cloud-fast` HTTP 503');
    expect(f).toContain('needs tier  local');
    expect(f).toContain('tokens      in 500, out 80');
    expect(f).toContain('fallback    cloud-fast: HTTP 503');
    expect(f).not.toMatch(/AKIA|@/);
  });

  it('only shows the selected sandbox’s decisions once one is picked in Sandboxes', async () => {
    const { gw, tui } = await start();
    emitCalls(gw);
    await tui.waitFor('3 calls');
    await tui.press(KEY.tab);
    await tui.press(KEY.down);
    await tui.press(KEY.enter);
    // Inference-pane lines only (the Traffic pane shows the same calls in its own format).
    const decisions = (f: string) => f.split('\n').filter((l) => /04:10:0\d \w+ +[✓✗] (local-llm \(|no backend)/.test(l));
    const f = await tui.waitFor((f) => decisions(f).length === 1);
    expect(decisions(f)[0]).toContain('beta ✗ no backend');
  });

  it('r reads the router configuration again: a backend added elsewhere appears', async () => {
    const { gw, tui } = await start({ zoom: true });
    await tui.waitFor('3 backends');
    gw.routerConfig = { ...CONFIG, backends: [...CONFIG.backends, backend('gpu-box', { privacy: 'private' })] };
    const reads = gw.inferenceReads;
    await tui.press('r');
    const f = await tui.waitFor('inference configuration reloaded');
    expect(f).toMatch(/○ gpu-box +private/);
    expect(f).toContain('4 backends');
    expect(gw.inferenceReads).toBeGreaterThan(reads);
  });

  it('says what to do when no backend is configured, and shows a configuration error on its line', async () => {
    const { gw, tui } = await start({ config: { version: 1, backends: [], routes: [] } });
    expect(await tui.waitFor('no backends: add one with')).toContain('0 backends');
    gw.inferenceError = new Error('docker: connection refused');
    await tui.press('r');
    expect(await tui.waitFor('router configuration: docker: connection')).not.toContain('inference configuration reloaded');
  });

  it('the footer lists its keys (Enter details, r refresh), and at 80×24 the pane still shows backends and decisions', async () => {
    const { gw, tui } = await start({ columns: 80, rows: 24 });
    emitCalls(gw);
    const f = await tui.waitFor('✓ local-llm');
    const footer = f.split('\n').slice(-3).join('\n');
    expect(footer).toContain('Enter details');
    expect(footer).toContain('r refresh');
    expect(footer).not.toContain('allow');
    expect(f).toMatch(/● local-llm/);
    // The title stays on screen (nothing wraps) and passing through Policy with Tab leaves no message behind.
    expect(f).toContain('▸ Inference');
    expect(f).not.toContain('select a sandbox first');
    expect(f).toContain('○ spare');
    expect(f.split('\n').every((l) => l.length <= 80)).toBe(true);
    const zoomed = await tui.press('z');
    expect(zoomed).toMatch(/04:10:02 alpha +✓ local-llm \(local\)/);
  });

  it('with more backends than rows, the pane says how many are left out and z shows them all', async () => {
    const many = Array.from({ length: 8 }, (_, i) => backend(`b${i}`));
    const { gw, tui } = await start({ columns: 80, rows: 24, config: { version: 1, backends: many, routes: [] } });
    gw.events.emit('traffic', routed({ backend: 'b0' }));
    const f = await tui.waitFor('✓ b0 (local)');
    expect(f).toContain('+6 more backend');
    expect(f).toContain('✓ b0 (local)');
    const zoomed = await tui.press('z');
    expect(zoomed).toMatch(/○ b7 +local/);
    expect(zoomed).not.toContain('more backend');
  });

  it('? lists the Inference pane’s keys and Esc (cancel connecting) from the one keymap', async () => {
    const { tui } = await start();
    // The help view scrolls: read it to the end.
    let help = await tui.press('?');
    for (let i = 0; i < 40; i++) help += await tui.press(KEY.down);
    expect(help).toContain('Inference pane');
    expect(help).toMatch(/Enter +details/);
    expect(help).toMatch(/r +refresh/);
    expect(help).toMatch(/Esc +cancel connecting/);
  });

  it('keeps a bounded number of calls however many arrive', async () => {
    const { gw, tui } = await start({ zoom: true });
    for (let i = 0; i < 1000; i++) gw.events.emit('traffic', routed({ latencyMs: i }));
    const f = await tui.waitFor('200 calls');
    expect(f).toMatch(/● local-llm +local .*1000 req +997ms/);
  });
});
