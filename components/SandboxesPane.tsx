import { useState } from 'react';
import { Text } from 'ink';
import { age } from '../src/commands/sandbox-columns.ts';
import { attempt, clamp, fit, scrollTop } from './attempt.ts';
import type { SandboxesView } from './hooks/useSandboxes.ts';
import { innerColumns, innerRows, type Rect } from './layout.ts';
import { Pane } from './Pane.tsx';
import { symbols, theme } from './theme.ts';
import type { Counts } from './traffic-buffer.ts';
import { useKeys } from './hooks/useKeys.ts';
import { useUi } from './ui-context.ts';

interface Props {
  readonly rect: Rect;
  readonly focused: boolean;
  readonly active: boolean;
  readonly view: SandboxesView;
  readonly totals: ReadonlyMap<string, Counts>;
}

const PHASE_TONE = { ready: 'allow', error: 'error', stopped: 'muted', provisioning: 'warning', stopping: 'warning', deleting: 'warning' } as const;

/** The gateway's sandboxes: create, delete, shell into, restart, and pick the one the other panes show. */
export function SandboxesPane({ rect, focused, active, view, totals }: Props) {
  const ui = useUi();
  const { gateway } = ui;
  const [cursor, setCursor] = useState(0);
  const list = view.sandboxes;
  const at = clamp(cursor, list.length);
  const current = list[at];

  useKeys(
    'sandboxes',
    (action) => {
      if (action === 'up') setCursor(clamp(at - 1, list.length));
      else if (action === 'down') setCursor(clamp(at + 1, list.length));
      else if (action === 'create') ui.openCreateForm();
      if (!current) return;
      const name = current.name;
      if (action === 'select') {
        ui.select(ui.selected === name ? null : name);
      } else if (action === 'delete') {
        attempt(ui, async () => {
          if (!(await ui.confirm(`Delete sandbox ${name}?`, [{ text: `${name} (${current.phase}, ${current.image}) and its containers go away.`, tone: 'warning' }]))) return;
          ui.notify(`deleting ${name}…`);
          await gateway.deleteSandbox(name);
          if (ui.selected === name) ui.select(null);
          ui.notify(`deleted ${name}`);
          view.refresh();
        });
      } else if (action === 'shell') {
        attempt(ui, async () => {
          const code = await ui.openshell(['sandbox', 'connect', name]);
          ui.notify(`shell in ${name} ended (exit ${code})`, code === 0 ? 'info' : 'error');
        });
      } else if (action === 'restart') {
        attempt(ui, async () => {
          ui.notify(`restarting ${name}…`);
          await gateway.stopSandbox(name);
          const s = await gateway.startSandbox(name);
          ui.notify(`restarted ${name}: ${s.phase}`);
          view.refresh();
        });
      }
    },
    active,
  );

  const width = innerColumns(rect);
  const rows = innerRows(rect) - 1;
  const phaseW = Math.max(5, ...list.map((s) => s.phase.length));
  // Long names give way (down to 16) before the counts do, so ✓/✗ stay visible at 80 columns.
  const nameW = Math.min(Math.max(4, ...list.map((s) => s.name.length)), 24, Math.max(16, width - 2 - 1 - phaseW - 4 - 5 - 9));
  // The image column gives way first on a narrow terminal (zoom shows it).
  const imageW = width - 2 - nameW - 1 - phaseW - 4 - 5 - 10;
  const rest = (rev: string, ageText: string, counts: string, image: string) =>
    ` ${fit(rev, 3)} ${fit(ageText, 4)} ${fit(counts, 9)}${imageW >= 8 ? ` ${fit(image, imageW - 1)}` : ''}`;
  const top = scrollTop(at, rows, list.length);
  const status = `${list.length} · ${ui.selected ? `showing ${ui.selected}` : 'showing all'}`;

  return (
    <Pane title="Sandboxes" status={status} rect={rect} focused={focused}>
      <Text color={theme.muted} wrap="truncate">
        {'  '}
        {fit('NAME', nameW)} {fit('PHASE', phaseW)}
        {rest('REV', 'AGE', `${symbols.allow}/${symbols.deny}`, 'IMAGE')}
      </Text>
      {list.length === 0 ? (
        <Text color={theme.muted}>{view.loaded ? 'no sandboxes yet: press c to create one' : 'loading…'}</Text>
      ) : null}
      {list.slice(top, top + rows).map((s, i) => {
        const t = totals.get(s.name) ?? { allow: 0, deny: 0 };
        const here = top + i === at;
        const picked = ui.selected === s.name;
        return (
          <Text key={s.name} wrap="truncate" inverse={here && focused} color={picked ? theme.selected : theme.text}>
            {picked ? '● ' : here ? `${symbols.cursor} ` : '  '}
            {fit(s.name, nameW)} <Text color={theme[PHASE_TONE[s.phase]]}>{fit(s.phase, phaseW)}</Text>
            {rest(s.policyRevision === undefined ? '-' : String(s.policyRevision), age(s.createdAt), `${t.allow}/${t.deny}`, s.image)}
          </Text>
        );
      })}
    </Pane>
  );
}
