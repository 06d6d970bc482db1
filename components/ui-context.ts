import { createContext, useContext } from 'react';
import type { Gateway } from '../core/gateway/types.ts';
import type { PaneId } from './layout.ts';
import type { ThemeToken } from './theme.ts';

export interface Line {
  readonly text: string;
  readonly tone?: ThemeToken;
}

export type MessageLevel = 'info' | 'error';

/** What panes may ask of the App: dialogs are promises, so an action reads top to bottom. */
export interface Ui {
  readonly gateway: Gateway;
  readonly selected: string | null;
  select(name: string | null): void;
  notify(text: string, level?: MessageLevel): void;
  /** A yes/no question over `lines`; true on confirm. */
  confirm(title: string, lines: readonly Line[]): Promise<boolean>;
  /** A read-only view closed with Esc (details, problems). */
  show(title: string, lines: readonly Line[]): void;
  /** One line of text input at the bottom; null when cancelled. */
  prompt(label: string, initial?: string): Promise<string | null>;
  /** `openshell ARGS` on the real terminal with the TUI suspended. */
  openshell(args: readonly string[]): Promise<number>;
  editText(text: string, fileName: string): Promise<string>;
  openCreateForm(): void;
  /** Keys of `pane` the footer leaves out for now (they do nothing on what the pane shows). */
  hideKeys(pane: PaneId, actions: readonly string[]): void;
}

export const UiContext = createContext<Ui | null>(null);

export function useUi(): Ui {
  const ui = useContext(UiContext);
  if (!ui) throw new Error('useUi outside <App>');
  return ui;
}
