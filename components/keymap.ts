import type { Key } from 'ink';

/** Every key the TUI answers, in one registry: the footer, the help screen and the handlers read it. */
export type Scope = 'global' | 'sandboxes' | 'traffic' | 'policy' | 'inference' | 'gateways' | 'dialog';

export interface Binding {
  readonly action: string;
  readonly scope: Scope;
  /** Key names as `keyName` produces them. */
  readonly keys: readonly string[];
  readonly label: string;
  /** Shown in the footer (the help screen lists every binding). */
  readonly footer: boolean;
}

const b = (scope: Scope, action: string, keys: readonly string[], label: string, footer = true): Binding => ({ scope, action, keys, label, footer });

export const KEYMAP: readonly Binding[] = [
  b('global', 'focusNext', ['tab'], 'next pane'),
  b('global', 'focusPrev', ['shift+tab'], 'previous pane', false),
  b('global', 'zoom', ['z'], 'zoom'),
  b('global', 'gateways', ['g'], 'gateways'),
  b('global', 'command', [':'], 'command'),
  b('global', 'help', ['?'], 'help'),
  b('global', 'quit', ['q', 'ctrl+c'], 'quit'),
  b('global', 'cancelWait', ['escape'], 'cancel connecting'),
  b('sandboxes', 'up', ['up', 'k'], 'move up', false),
  b('sandboxes', 'down', ['down', 'j'], 'move down', false),
  b('sandboxes', 'select', ['return'], 'select'),
  b('sandboxes', 'create', ['c'], 'create'),
  b('sandboxes', 'delete', ['d'], 'delete'),
  b('sandboxes', 'shell', ['s'], 'shell'),
  b('sandboxes', 'restart', ['r'], 'restart'),
  b('traffic', 'up', ['up', 'k'], 'move up', false),
  b('traffic', 'down', ['down', 'j'], 'move down', false),
  b('traffic', 'pause', ['p'], 'pause/follow'),
  b('traffic', 'filter', ['/'], 'filter'),
  b('traffic', 'deniesOnly', ['v'], 'denies'),
  b('traffic', 'details', ['return'], 'details'),
  b('traffic', 'approve', ['a'], 'allow'),
  b('traffic', 'approveHost', ['A'], 'allow host'),
  b('policy', 'up', ['up', 'k'], 'move up', false),
  b('policy', 'down', ['down', 'j'], 'move down', false),
  b('policy', 'toggle', ['space'], 'toggle'),
  b('policy', 'edit', ['e'], 'edit'),
  b('policy', 'undo', ['u'], 'undo'),
  b('inference', 'up', ['up', 'k'], 'move up', false),
  b('inference', 'down', ['down', 'j'], 'move down', false),
  b('inference', 'details', ['return'], 'details'),
  b('inference', 'refresh', ['r'], 'refresh'),
  b('gateways', 'up', ['up', 'k'], 'move up', false),
  b('gateways', 'down', ['down', 'j'], 'move down', false),
  b('gateways', 'switch', ['return'], 'switch'),
  b('gateways', 'add', ['a'], 'add gateway'),
  b('gateways', 'remove', ['x'], 'remove'),
  b('gateways', 'close', ['escape', 'g', 'q'], 'close'),
  b('dialog', 'confirm', ['y', 'return'], 'confirm'),
  b('dialog', 'cancel', ['n', 'escape'], 'cancel'),
];

/** One name per keypress: `tab`, `shift+tab`, `return`, `escape`, `space`, `up`, `ctrl+c`, or the character. */
export function keyName(input: string, key: Key): string {
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.return) return 'return';
  if (key.escape) return 'escape';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl) return `ctrl+${input}`;
  if (input === ' ') return 'space';
  return input;
}

/** The action a keypress means in a scope, if any. */
export function actionFor(scope: Scope, input: string, key: Key): string | undefined {
  const name = keyName(input, key);
  return KEYMAP.find((k) => k.scope === scope && k.keys.includes(name))?.action;
}

export function bindingsFor(scope: Scope): readonly Binding[] {
  return KEYMAP.filter((k) => k.scope === scope);
}

/** `space` reads better as a key cap than a blank. */
export function keyCap(binding: Binding): string {
  return binding.keys.map((k) => (k === 'return' ? 'Enter' : k === 'escape' ? 'Esc' : k === 'tab' ? 'Tab' : k === 'ctrl+c' ? 'Ctrl-C' : k)).join('/');
}
