import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../components/App.tsx';
import { KEYMAP } from '../../../components/keymap.ts';
import { KEY, renderTui, type Tui } from './render.tsx';
import { RecordingHost, sandbox, TestGateway } from './fixtures.ts';

let tui: Tui | undefined;
afterEach(() => tui?.unmount());

async function start(gw = new TestGateway(), size?: { columns: number; rows: number }) {
  gw.sandboxes = [sandbox('alpha'), sandbox('beta', { phase: 'stopped' })];
  tui = await renderTui(<App gateway={gw} host={new RecordingHost()} pollMs={40} />, size);
  await tui.waitFor('beta');
  return { gw, tui };
}

const lines = (frame: string) => frame.split('\n');

describe('the workbench layout', () => {
  it('shows the gateway, where it runs, its health and sandbox count, four panes and the keys of the focused pane', async () => {
    const { tui } = await start();
    const f = tui.frame();
    expect(lines(f)[0]).toMatch(/^local unix:\/\/\/var\/run\/docker\.sock ● healthy · 2 sandboxes · ✓ 0\.0\/s ✗ 0\.0\/s/);
    for (const title of ['▸ Sandboxes', 'Policy', 'Traffic', 'Inference']) expect(f).toContain(title);
    expect(f).toContain('c create');
    expect(f).toContain('Tab next pane');
    expect(await tui.waitFor('no backends')).toContain('no backends: add');
  });

  it('fits 80×24 and follows the terminal when it grows', async () => {
    const { tui } = await start();
    expect(lines(tui.frame()).length).toBeLessThanOrEqual(24);
    expect(Math.max(...lines(tui.frame()).map((l) => l.length))).toBeLessThanOrEqual(80);
    const big = await tui.resize(140, 40);
    expect(lines(big).length).toBeGreaterThan(30);
    expect(lines(big).length).toBeLessThanOrEqual(40);
    expect(Math.max(...lines(big).map((l) => l.length))).toBeGreaterThan(100);
  });

  it('Tab moves the focus and the footer follows it', async () => {
    const { tui } = await start();
    const f = await tui.press(KEY.tab);
    expect(f).toContain('▸ Traffic');
    expect(f).not.toContain('▸ Sandboxes');
    expect(f).toContain('p pause/follow');
    expect(f).not.toContain('c create');
    expect(await tui.press(KEY.tab)).toContain('▸ Policy');
    expect(await tui.press(KEY.tab)).toContain('▸ Inference');
    expect(await tui.press(KEY.tab)).toContain('▸ Sandboxes');
  });

  it('z zooms the focused pane to the whole screen and back', async () => {
    const { tui } = await start();
    const zoomed = await tui.press('z');
    expect(zoomed).toContain('▸ Sandboxes');
    expect(zoomed).not.toContain('Inference');
    expect(zoomed).not.toContain('Traffic');
    const back = await tui.press('z');
    expect(back).toContain('Inference');
  });

  it('? lists every key of the keymap; Esc closes it', async () => {
    const { tui } = await start(new TestGateway(), { columns: 100, rows: 60 });
    const help = await tui.press('?');
    expect(help).toContain('Keys (from the keymap)');
    for (const k of KEYMAP) expect(help).toContain(k.label);
    expect(help).toMatch(/Traffic pane.*\n.*\n.*\n.*p +pause\/follow/);
    expect(await tui.press(KEY.escape)).toContain('▸ Sandboxes');
  });

  it('g shows the gateway with its location, marked as shown; Esc closes', async () => {
    const { tui } = await start();
    const f = await tui.press('g');
    expect(f).toContain('Gateways');
    expect(f).toMatch(/› ● local +local +unix:\/\/\/var\/run\/docker\.sock/);
    expect(f).toContain('Enter switch');
    expect(await tui.press(KEY.escape)).toContain('▸ Sandboxes');
  });

  it('shows a gateway error in the header and the message line, keeps running, and recovers', async () => {
    const { gw, tui } = await start();
    gw.listError = new Error('Docker is not reachable at unix:///var/run/docker.sock');
    const down = await tui.waitFor('unreachable');
    expect(down).toContain('gateway local: Docker is not reachable at unix:///var/run/docker.sock');
    expect(await tui.press(KEY.tab)).toContain('▸ Traffic');
    gw.listError = null;
    const up = await tui.waitFor('● healthy');
    expect(up).not.toContain('Docker is not reachable');
  });
});
