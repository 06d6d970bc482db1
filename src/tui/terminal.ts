/** Escape sequences for a full-screen program, and the one helper that hands the terminal to another. */
export const ENTER_ALT_SCREEN = '\x1b[?1049h';
export const LEAVE_ALT_SCREEN = '\x1b[?1049l';
export const SHOW_CURSOR = '\x1b[?25h';
export const HIDE_CURSOR = '\x1b[?25l';
export const CLEAR_HOME = '\x1b[2J\x1b[H';

export interface TerminalIo {
  readonly stdin: { readonly isTTY?: boolean; readonly isRaw?: boolean; setRawMode?(mode: boolean): unknown };
  readonly stdout: { write(text: string): unknown };
}

/**
 * Runs `program` with the terminal as the user knows it (main screen, cursor shown, cooked mode), then
 * takes it back for the TUI, whatever `program` did or threw. `program` is synchronous on purpose: while
 * it runs, this process reads no keys meant for it.
 */
export function withTerminalSuspended<T>(io: TerminalIo, program: () => T): T {
  const wasRaw = io.stdin.isTTY === true && io.stdin.isRaw === true;
  if (wasRaw) io.stdin.setRawMode?.(false);
  io.stdout.write(LEAVE_ALT_SCREEN + SHOW_CURSOR);
  try {
    return program();
  } finally {
    io.stdout.write(ENTER_ALT_SCREEN + CLEAR_HOME + HIDE_CURSOR);
    if (wasRaw) io.stdin.setRawMode?.(true);
  }
}
