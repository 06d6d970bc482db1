import { KEYMAP, keyCap, type Scope } from './keymap.ts';
import type { Line } from './ui-context.ts';

const TITLES: Record<Scope, string> = {
  global: 'Everywhere',
  sandboxes: 'Sandboxes pane',
  traffic: 'Traffic pane',
  policy: 'Policy pane',
  inference: 'Inference pane',
  gateways: 'Gateways dialog (g)',
  dialog: 'Dialogs',
};

/** Every binding of the registry, grouped by where it works. */
export function helpLines(): Line[] {
  const out: Line[] = [];
  for (const scope of Object.keys(TITLES) as Scope[]) {
    const keys = KEYMAP.filter((k) => k.scope === scope);
    if (keys.length === 0) continue;
    out.push({ text: TITLES[scope], tone: 'accent' });
    for (const k of keys) out.push({ text: `  ${keyCap(k).padEnd(14)}${k.label}` });
  }
  return out;
}
