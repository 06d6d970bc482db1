import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../components/App.tsx';
import { splitArgs } from '../../../components/command-line.ts';
import { KEY, renderTui, type Tui } from './render.tsx';
import { RecordingHost, sandbox, TestGateway } from './fixtures.ts';

let tui: Tui | undefined;
afterEach(() => tui?.unmount());

async function start(host = new RecordingHost()) {
  const gw = new TestGateway();
  gw.sandboxes = [sandbox('alpha')];
  tui = await renderTui(<App gateway={gw} host={host} pollMs={1000} />, { columns: 120, rows: 30 });
  await tui.waitFor('alpha');
  return { tui, host };
}

async function type(t: Tui, text: string) {
  for (const ch of text) await t.press(ch);
}

describe('splitArgs', () => {
  it('splits like a shell without running one: quotes keep spaces, backslashes escape', () => {
    expect(splitArgs(`policy set my-box "my policy.yaml"`)).toEqual(['policy', 'set', 'my-box', 'my policy.yaml']);
    expect(splitArgs(`sandbox exec a -- sh -c 'echo $HOME; ls'`)).toEqual(['sandbox', 'exec', 'a', '--', 'sh', '-c', 'echo $HOME; ls']);
    expect(splitArgs(`exec a -- echo a\\ b "say \\"hi\\"" ''`)).toEqual(['exec', 'a', '--', 'echo', 'a b', 'say "hi"', '']);
    expect(splitArgs('openshell  sandbox   list ')).toEqual(['sandbox', 'list']);
    expect(() => splitArgs(`policy set a "open`)).toThrow('unterminated " quote');
  });
});

describe('the : command line', () => {
  it(': opens a prompt; Enter runs the subcommand against the shown gateway and shows its output in a view', async () => {
    const { tui, host } = await start();
    host.captured = { code: 0, output: [{ text: 'NAME   PHASE  REV', stderr: false }, { text: 'alpha  ready  3', stderr: false }] };
    expect(await tui.press(':')).toContain('› : (Enter apply, Esc cancel):');
    await type(tui, 'sandbox list -o "table"');
    const f = await tui.press(KEY.enter);
    expect(host.captures).toEqual([{ args: ['sandbox', 'list', '-o', 'table'], gateway: 'local' }]);
    expect(f).toContain('openshell sandbox list -o "table" — exit 0');
    expect(f).toContain('alpha  ready  3');
    expect(await tui.press(KEY.escape)).toContain('openshell sandbox list -o "table" exited with code 0');
  });

  it('a failing command shows its stderr and its exit code as an error', async () => {
    const { tui, host } = await start();
    host.captured = { code: 2, output: [{ text: 'error: sandbox `nope` not found', stderr: true }] };
    await tui.press(':');
    await type(tui, 'sandbox get nope');
    const f = await tui.press(KEY.enter);
    expect(f).toContain('openshell sandbox get nope — exit 2');
    expect(f).toContain('error: sandbox `nope` not found');
    expect(await tui.press(KEY.escape)).toContain('exited with code 2');
  });

  it('Esc cancels without running anything; an unbalanced quote is an error, not a run', async () => {
    const { tui, host } = await start();
    await tui.press(':');
    await type(tui, 'sandbox delete alpha');
    expect(await tui.press(KEY.escape)).toContain('▸ Sandboxes');
    await tui.press(':');
    await type(tui, 'policy set alpha "x');
    expect(await tui.press(KEY.enter)).toContain('unterminated " quote');
    expect(host.captures).toEqual([]);
  });

  it('? lists : in the keymap help', async () => {
    const { tui } = await start();
    expect(await tui.press('?')).toMatch(/: +command/);
  });
});

describe('pasting into the : prompt', () => {
  it('a pasted line with its newline runs at once', async () => {
    const { tui, host } = await start();
    await tui.press(':');
    await tui.press('sandbox get alpha\r');
    expect(host.captures).toEqual([{ args: ['sandbox', 'get', 'alpha'], gateway: 'local' }]);
    expect(tui.frame()).toContain('openshell sandbox get alpha — exit 0');
  });
});
