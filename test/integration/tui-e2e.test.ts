import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripVTControlCharacters } from 'node:util';
import { gateway, inTerminal, uniqueName } from './helpers.ts';

const gw = gateway();
// Sorted first, so the Sandboxes cursor starts on it whatever else runs on the engine.
const name = `0${uniqueName('e2e').slice(3)}`;



const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';

beforeAll(async () => {
  await gw.createSandbox({ name });
});
afterAll(async () => {
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('openshell with no arguments in a real terminal', () => {
  it('opens the TUI showing an existing sandbox, moves focus, quits on q and restores the terminal', async () => {
    const r = await inTerminal(
      [],
      [
        ['expect', name],
        ['expect', '▸ Sandboxes'],
        ['send', '\t'],
        ['expect', '▸ Traffic'],
        ['resize', 30, 120],
        ['sleep', 0.3],
        ['send', 'q'],
      ],
    );
    expect(r.code).toBe(0);
    expect(r.out.indexOf(ENTER_ALT)).toBeGreaterThanOrEqual(0);
    expect(r.out).toContain('● healthy');
    const tail = r.out.slice(r.out.lastIndexOf(LEAVE_ALT));
    expect(tail.startsWith(LEAVE_ALT)).toBe(true);
    expect(tail).toContain(SHOW_CURSOR);
    // Nothing is drawn after the alternate screen is left.
    expect(tail.replaceAll(LEAVE_ALT, '').replaceAll(SHOW_CURSOR, '').trim()).toBe('');
  });

  it('s hands the terminal to `sandbox connect` and the TUI comes back after a detach', async () => {
    const r = await inTerminal(
      [],
      [
        ['expect', name],
        ['send', 's'],
        ['expect', 'detach with Ctrl-P Ctrl-Q'],
        ['send', '\r'],
        ['expect', '\\$ '],
        ['send', 'echo "in=$(hostname)-ok"\r'],
        ['expect', 'in=.*-ok'],
        ['send', '\x10\x11'],
        ['expect', `shell in ${name} ended \\(exit 0\\)`],
        ['expect', '▸ Sandboxes'],
        ['send', 'q'],
      ],
    );
    expect(r.code).toBe(0);
    expect((await gw.getSandbox(name)).phase).toBe('ready');
    expect(r.out.endsWith(`${LEAVE_ALT}${SHOW_CURSOR}`) || r.out.trimEnd().endsWith(SHOW_CURSOR)).toBe(true);
  });

  it(': runs a headless command without leaving the workbench, and g lists the registered gateways', async () => {
    const r = await inTerminal(
      [],
      [
        ['expect', name],
        ['send', ':'],
        ['expect', 'Enter apply, Esc cancel'],
        ['send', 'sandbox list'],
        ['expect', 'sandbox list'],
        ['send', '\r'],
        ['expect', 'openshell sandbox list — exit 0'],
        ['send', '\x1b'],
        ['expect', 'exited with code 0'],
        ['sleep', 0.2],
        ['send', 'g'],
        ['expect', 'Gateways'],
        ['expect', 'unix:///var/run/docker\\.sock'],
        ['send', '\x1b'],
        ['sleep', 0.2],
        ['send', 'q'],
      ],
    );
    expect(r.code, r.out.slice(-2000)).toBe(0);
    // The captured list is drawn inside the TUI: the REV column and the sandbox, never the main screen.
    const inside = stripVTControlCharacters(r.out.slice(r.out.indexOf(ENTER_ALT), r.out.lastIndexOf(LEAVE_ALT)));
    expect(inside).toMatch(/NAME +PHASE +IMAGE +AGE +REV/);
    expect(inside).toContain('Enter switch');
  });

  it('Ctrl-C quits too, leaving the terminal as it was', async () => {
    const r = await inTerminal([], [['expect', name], ['send', '\x03']]);
    expect(r.code).toBe(0);
    expect(r.out.slice(r.out.lastIndexOf(LEAVE_ALT))).toContain(SHOW_CURSOR);
  });

  it('--no-tui prints the headless summary even on a terminal', async () => {
    const r = await inTerminal(['--no-tui'], [['expect', 'run `openshell --help`']]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(name);
    expect(r.out).not.toContain(ENTER_ALT);
  });
});
