import { describe, expect, it } from 'vitest';
import { terminalHost } from '../../../src/tui/host.ts';
import { ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, SHOW_CURSOR, withTerminalSuspended } from '../../../src/tui/terminal.ts';

function fakeTerminal() {
  const log: string[] = [];
  const stdin = {
    isTTY: true,
    isRaw: true,
    setRawMode(mode: boolean) {
      this.isRaw = mode;
      log.push(`raw ${mode}`);
    },
  };
  const stdout = { write: (text: string) => log.push(JSON.stringify(text)) };
  return { log, io: { stdin, stdout } };
}

describe('suspending the TUI for another program', () => {
  it('gives the program the normal screen, a cursor and cooked mode, then takes the terminal back', () => {
    const { log, io } = fakeTerminal();
    const code = withTerminalSuspended(io, () => {
      log.push('program runs');
      return 7;
    });
    expect(code).toBe(7);
    expect(log[0]).toBe('raw false');
    expect(log[1]).toBe(JSON.stringify(LEAVE_ALT_SCREEN + SHOW_CURSOR));
    expect(log[2]).toBe('program runs');
    expect(JSON.parse(log[3]!)).toContain(ENTER_ALT_SCREEN);
    expect(log[4]).toBe('raw true');
  });

  it('takes the terminal back even when the program fails', () => {
    const { log, io } = fakeTerminal();
    expect(() =>
      withTerminalSuspended(io, () => {
        throw new Error('no such editor');
      }),
    ).toThrow('no such editor');
    expect(log.at(-1)).toBe('raw true');
    expect(io.stdin.isRaw).toBe(true);
  });

  it('edits text with $EDITOR (arguments allowed) and returns what was saved', async () => {
    const { io } = fakeTerminal();
    const host = terminalHost(io, { EDITOR: 'sed -i s/443/8443/' });
    expect(await host.editText('port: 443\n', 'alpha-policy.yaml')).toBe('port: 8443\n');
  });

  it('applies nothing when the editor fails', async () => {
    const { io } = fakeTerminal();
    const host = terminalHost(io, { EDITOR: 'false' });
    await expect(host.editText('port: 443\n', 'alpha-policy.yaml')).rejects.toThrow('false exited with code 1; nothing was applied');
  });
});
