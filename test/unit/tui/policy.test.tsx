import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../components/App.tsx';
import { KEY, renderTui, type Tui } from './render.tsx';
import { RecordingHost, sandbox, TestGateway } from './fixtures.ts';

let tui: Tui | undefined;
afterEach(() => tui?.unmount());

/** `alpha` selected and the Policy pane focused. */
async function start() {
  const gw = new TestGateway().withPolicy('alpha');
  gw.sandboxes = [sandbox('alpha')];
  const host = new RecordingHost();
  tui = await renderTui(<App gateway={gw} host={host} pollMs={1000} />, { columns: 180, rows: 30 });
  await tui.waitFor('alpha');
  await tui.press(KEY.enter);
  await tui.press(KEY.tab);
  await tui.press(KEY.tab);
  await tui.waitFor(/▸ Policy alpha · revision 1 \(loaded\)/);
  return { gw, host, tui };
}

describe('the Policy pane', () => {
  it('asks to select a sandbox first', async () => {
    const gw = new TestGateway();
    gw.sandboxes = [sandbox('alpha')];
    tui = await renderTui(<App gateway={gw} host={new RecordingHost()} />, { columns: 180, rows: 30 });
    expect(await tui.waitFor('select a sandbox (Enter in Sandboxes) to see its policy')).toBeTruthy();
  });

  it('lists the blocks with endpoints and binaries', async () => {
    const { tui } = await start();
    expect(tui.frame()).toMatch(/\[on\] +github +api\.github\.com:443 ← \/usr\/bin\/git/);
    expect(tui.frame()).toMatch(/\[on\] +pypi +pypi\.org:443 ← \/usr\/bin\/pip/);
  });

  it('space shows the diff of turning a block off, and y stores it with setPolicy', async () => {
    const { gw, tui } = await start();
    const ask = await tui.press(KEY.space);
    expect(ask).toContain('Turn block github off in alpha?');
    expect(ask).toContain('~ rule `github`: turned off');
    await tui.press('y');
    const f = await tui.waitFor('revision 2');
    expect(f).toMatch(/\[off\] +github/);
    expect(gw.setCalls).toHaveLength(1);
    expect(gw.setCalls[0]!.yaml).toMatch(/github:\n\s+enabled: false/);
  });

  it('u rolls back to the previous revision after showing what comes back', async () => {
    const { gw, tui } = await start();
    await tui.press(KEY.space);
    await tui.press('y');
    await tui.waitFor(/\[off\] +github/);
    const ask = await tui.press('u');
    expect(ask).toContain('Roll alpha back to revision 1?');
    expect(ask).toContain('~ rule `github`: turned on');
    await tui.press('y');
    const f = await tui.waitFor('revision 3');
    expect(f).toMatch(/\[on\] +github/);
    expect(gw.rollbackCalls).toEqual([{ name: 'alpha', version: 1 }]);
  });

  it('u with a single revision says there is nothing to undo', async () => {
    const { gw, tui } = await start();
    expect(await tui.press('u')).toContain('alpha has no earlier policy revision to go back to');
    expect(gw.rollbackCalls).toEqual([]);
  });

  it('e opens the policy in $EDITOR; problems show with line numbers and the next e reopens the draft', async () => {
    const { gw, host, tui } = await start();
    host.editor = (text) => text.replace('port: 443', 'prot: 443');
    await tui.press('e');
    const problems = await tui.waitFor('alpha-policy.yaml has problems');
    expect(host.edits[0]).toContain('api.github.com');
    expect(problems).toMatch(/\d+:\d+ error .*unknown key `prot`, did you mean `port`\?/);
    expect(gw.setCalls).toHaveLength(0);
    await tui.press(KEY.escape);
    host.editor = (text) => text.replace('prot: 443', 'port: 8443');
    await tui.press('e');
    const ask = await tui.waitFor('Apply your edit to alpha?');
    expect(host.edits[1]).toContain('prot: 443');
    expect(ask).toContain('+ rule `github`: endpoint api.github.com:8443');
    await tui.press('y');
    await tui.waitFor('revision 2');
    expect(gw.setCalls[0]!.yaml).toContain('port: 8443');
  });

  it('a file the gateway refuses shows its problems and changes nothing', async () => {
    const { gw, tui } = await start();
    gw.setPolicy = (name, yaml, opts) => {
      gw.setCalls.push({ name, yaml, opts });
      return Promise.resolve({ ok: false, problems: [{ severity: 'error', file: 'x', line: 2, column: 3, path: 'process', message: 'cannot change on a running sandbox' }] });
    };
    await tui.press(KEY.space);
    await tui.press('y');
    expect(await tui.waitFor('The gateway refused the policy for alpha')).toContain('2:3 error process: cannot change on a running sandbox');
  });
});
