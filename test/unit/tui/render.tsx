import type { ReactElement } from 'react';
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';

export const KEY = {
  tab: '\t',
  shiftTab: '\x1b[Z',
  enter: '\r',
  escape: '\x1b',
  up: '\x1b[A',
  down: '\x1b[B',
  space: ' ',
  backspace: '\x7f',
  ctrlC: '\x03',
} as const;

const tick = (ms = 15) => new Promise((r) => setTimeout(r, ms));

export interface Tui {
  /** The screen as a user reads it: no colours, no escapes. */
  frame(): string;
  /** Types one key (or text) and waits for the frame it causes. */
  press(input: string): Promise<string>;
  resize(columns: number, rows: number): Promise<string>;
  /** Waits until the screen shows `text` (or the predicate holds); fails with the last frame. */
  waitFor(text: string | RegExp | ((frame: string) => boolean), timeoutMs?: number): Promise<string>;
  unmount(): void;
}

/** One way to drive a component in tests: ink-testing-library at a chosen terminal size. */
export async function renderTui(element: ReactElement, size: { columns?: number; rows?: number } = {}): Promise<Tui> {
  const r = render(element);
  const frame = () => stripVTControlCharacters(r.lastFrame() ?? '');
  // A keypress may take a few renders (state, then effects) and a loaded machine is slow: wait for the
  // screen to change (or 250 ms without change), then until it has been still for 30 ms.
  const settle = async (before: string) => {
    const end = Date.now() + 250;
    while (Date.now() < end && frame() === before) await tick(5);
    let last = frame();
    let quietSince = Date.now();
    const limit = Date.now() + 500;
    while (Date.now() < limit && Date.now() - quietSince < 30) {
      await tick(5);
      if (frame() !== last) {
        last = frame();
        quietSince = Date.now();
      }
    }
    return frame();
  };
  const resize = async (columns: number, rows: number) => {
    Object.defineProperty(r.stdout, 'columns', { value: columns, configurable: true });
    Object.defineProperty(r.stdout, 'rows', { value: rows, configurable: true });
    r.stdout.emit('resize');
    await tick();
    return frame();
  };
  await resize(size.columns ?? 80, size.rows ?? 24);
  return {
    frame,
    resize,
    async press(input) {
      const before = frame();
      r.stdin.write(input);
      return settle(before);
    },
    async waitFor(want, timeoutMs = 3000) {
      const ok = typeof want === 'function' ? want : (f: string) => (typeof want === 'string' ? f.includes(want) : want.test(f));
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if (ok(frame())) return frame();
        await tick(10);
      }
      throw new Error(`the screen never showed ${String(want)}; last frame:\n${frame()}`);
    },
    unmount: () => r.unmount(),
  };
}
