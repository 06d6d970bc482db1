import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../components/App.tsx';
import { KEY, renderTui, type Tui } from './render.tsx';
import { RecordingHost, sandbox, TestGateway } from './fixtures.ts';

let tui: Tui | undefined;
afterEach(() => tui?.unmount());

async function start() {
  const gw = new TestGateway().withPolicy('alpha');
  gw.sandboxes = [sandbox('alpha'), sandbox('beta', { phase: 'stopped', policyRevision: 3 })];
  const host = new RecordingHost();
  tui = await renderTui(<App gateway={gw} host={host} pollMs={40} />, { columns: 120, rows: 30 });
  await tui.waitFor('beta');
  return { gw, host, tui };
}

const row = (frame: string, name: string) => frame.split('\n').find((l) => new RegExp(`[›● ] ${name} +(ready|stopped|provisioning|error)`).test(l)) ?? '';

describe('the Sandboxes pane', () => {
  it('lists name, phase, policy revision, age, allow/deny counts and image', async () => {
    const { tui } = await start();
    expect(row(tui.frame(), 'alpha')).toMatch(/› alpha +ready +1 +5m +0\/0 +openshell\/sandbox:1/);
    expect(row(tui.frame(), 'beta')).toMatch(/beta +stopped +3 +5m +0\/0/);
  });

  it('Enter selects a sandbox for the other panes, Enter again shows all', async () => {
    const { tui } = await start();
    const f = await tui.press(KEY.enter);
    expect(row(f, 'alpha')).toMatch(/● alpha/);
    expect(f).toContain('showing alpha');
    expect(await tui.waitFor(/\[on\] +github +api\.github\.com:443 ←/)).toContain('revision 1 (loaded)');
    expect(f).toMatch(/Traffic .*alpha/);
    expect(await tui.press(KEY.enter)).toContain('showing all');
  });

  it('d asks first; n keeps the sandbox, y deletes it', async () => {
    const { gw, tui } = await start();
    await tui.press(KEY.down);
    expect(await tui.press('d')).toContain('Delete sandbox beta?');
    expect(await tui.press('n')).toContain('▸ Sandboxes');
    expect(gw.calls).not.toContain('deleteSandbox beta');
    await tui.press('d');
    await tui.press('y');
    const f = await tui.waitFor('deleted beta');
    expect(gw.calls).toContain('deleteSandbox beta');
    expect(row(f, 'beta')).toBe('');
  });

  it('r restarts the sandbox (stop, then start)', async () => {
    const { gw, tui } = await start();
    await tui.press('r');
    await tui.waitFor('restarted alpha: ready');
    expect(gw.calls.filter((c) => !c.startsWith('list'))).toEqual(['stopSandbox alpha', 'startSandbox alpha']);
  });

  it('s runs `openshell sandbox connect NAME` on the terminal and comes back', async () => {
    const { host, tui } = await start();
    host.exitCode = 130;
    await tui.press(KEY.down);
    await tui.press('s');
    const back = await tui.waitFor('shell in beta ended (exit 130)');
    expect(host.runs).toEqual([['sandbox', 'connect', 'beta']]);
    expect(back).toContain('▸ Sandboxes');
  });

  it('c opens the create form; Enter on the last field creates the sandbox as typed', async () => {
    const { gw, tui } = await start();
    const form = await tui.press('c');
    expect(form).toContain('Create a sandbox');
    for (const ch of 'newbox') await tui.press(ch);
    await tui.press(KEY.tab);
    await tui.press(KEY.tab);
    await tui.press(KEY.tab);
    await tui.press(KEY.tab);
    for (const ch of `sh -c 'sleep 1'`) await tui.press(ch);
    expect(tui.frame()).toContain(`Command: sh -c 'sleep 1'`);
    await tui.press(KEY.enter);
    await tui.waitFor('created newbox (ready)');
    expect(gw.created).toEqual([{ name: 'newbox', command: ['sh', '-c', 'sleep 1'] }]);
    expect(await tui.waitFor((f) => row(f, 'newbox') !== '')).toContain('newbox');
  });

  it('a policy preset named in the form goes into the new sandbox as its first policy', async () => {
    const { gw, tui } = await start();
    await tui.press('c');
    for (const ch of 'withnpm') await tui.press(ch);
    await tui.press(KEY.tab);
    await tui.press(KEY.tab);
    for (const ch of 'npm') await tui.press(ch);
    await tui.press(KEY.tab);
    await tui.press(KEY.tab);
    await tui.press(KEY.enter);
    await tui.waitFor('created withnpm (ready) with policy npm');
    expect(gw.created[0]!.policy?.source).toBe('npm');
    expect(gw.created[0]!.policy?.text).toContain('registry.npmjs.org');
  });

  it('a policy that does not load stops the create form before anything is created', async () => {
    const { gw, tui } = await start();
    await tui.press('c');
    await tui.press(KEY.tab);
    await tui.press(KEY.tab);
    for (const ch of 'no-such-preset') await tui.press(ch);
    await tui.press(KEY.tab);
    await tui.press(KEY.tab);
    await tui.press(KEY.enter);
    expect(await tui.waitFor('no policy file or preset `no-such-preset`')).toBeTruthy();
    expect(gw.created).toEqual([]);
  });

  it('providers typed in the form (commas or spaces) are bound to the new sandbox', async () => {
    const { gw, tui } = await start();
    await tui.press('c');
    for (const ch of 'withkeys') await tui.press(ch);
    for (let i = 0; i < 3; i++) await tui.press(KEY.tab);
    for (const ch of 'openai, github anthropic') await tui.press(ch);
    expect(tui.frame()).toContain('Providers: openai, github anthropic');
    await tui.press(KEY.tab);
    await tui.press(KEY.enter);
    expect(await tui.waitFor('created withkeys (ready) with provider(s) openai, github, anthropic')).toBeTruthy();
    expect(gw.created).toEqual([{ name: 'withkeys', providers: ['openai', 'github', 'anthropic'] }]);
  });

  it('Esc leaves the create form without creating anything', async () => {
    const { gw, tui } = await start();
    await tui.press('c');
    await tui.press('x');
    expect(await tui.press(KEY.escape)).toContain('▸ Sandboxes');
    expect(gw.created).toEqual([]);
  });
});
