import { friendlyMessage } from '../core/errors.ts';
import type { Ui } from './ui-context.ts';

/** Runs a pane action; a failure becomes the message line instead of an unhandled rejection. */
export function attempt(ui: Pick<Ui, 'notify'>, work: () => Promise<void>): void {
  work().catch((err: unknown) => ui.notify(friendlyMessage(err).replace(/\n\s*/g, ' — '), 'error'));
}

/** Keeps a cursor inside a list and the window around it: returns the first visible index. */
export function scrollTop(cursor: number, visible: number, total: number): number {
  if (total <= visible) return 0;
  return Math.min(Math.max(0, cursor - visible + 1), total - visible);
}

export const clamp = (n: number, length: number): number => Math.max(0, Math.min(n, length - 1));

export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length > width ? `${text.slice(0, Math.max(width - 1, 0))}…` : text.padEnd(width);
}

/** Like `fit`, but keeps the end: `…/bin/curl` says more than `/usr/bi…`. */
export function fitTail(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length > width ? `…${text.slice(text.length - width + 1)}` : text.padEnd(width);
}
