import { useEffect, useState } from 'react';
import { Text } from 'ink';
import type { TrafficEvent } from '../core/events/traffic.ts';
import { addEndpoint, allowDenied, ruleNameFor } from '../core/policy/index.ts';
import { attempt, clamp, fit, fitTail, scrollTop } from './attempt.ts';
import type { TrafficView } from './hooks/useTraffic.ts';
import { useTrafficView } from './hooks/useTrafficView.ts';
import { innerColumns, innerRows, type Rect } from './layout.ts';
import { Pane } from './Pane.tsx';
import { confirmAndSet } from './policy-actions.ts';
import { theme } from './theme.ts';
import { binaryOf, clock, destination, detailLines, keysNotFor, request, verdict } from './traffic-format.ts';
import { useKeys } from './hooks/useKeys.ts';
import { useUi, type Ui } from './ui-context.ts';

interface Props {
  readonly rect: Rect;
  readonly focused: boolean;
  readonly active: boolean;
  readonly traffic: TrafficView;
}

/** `a`: exactly the denied request (binary, host, port, and at L7 method and path). */
async function approveExact(ui: Ui, e: TrafficEvent): Promise<void> {
  if (!e.ruleMissing) return ui.notify('this deny names no missing rule to add (try A for the whole host)', 'error');
  const rev = await ui.gateway.getPolicy(e.sandbox);
  const change = allowDenied(rev.policy, e.ruleMissing);
  await confirmAndSet(ui, ui.gateway, e.sandbox, `Allow ${binaryOf(e)} → ${destination(e)} ${request(e)} in ${e.sandbox}?`, change);
}

/** `A`: the broader rule — the host and port for any binary. */
async function approveHost(ui: Ui, e: TrafficEvent): Promise<void> {
  const rev = await ui.gateway.getPolicy(e.sandbox);
  const change = addEndpoint(rev.policy, `${ruleNameFor(e.host, e.port)}_any_binary`, { host: e.host, port: e.port }, ['/**']);
  await confirmAndSet(ui, ui.gateway, e.sandbox, `Allow ANY binary → ${destination(e)} in ${e.sandbox}?`, change);
}

/** Live allow/deny decisions: follow or pause, filter, details, and approve a deny. */
export function TrafficPane({ rect, focused, active, traffic }: Props) {
  const ui = useUi();
  const [text, setText] = useState('');
  const [deniesOnly, setDeniesOnly] = useState(false);
  const [cursor, setCursor] = useState(0);
  const view = useTrafficView(traffic, { sandbox: ui.selected, text, deniesOnly });
  const { lines } = view;
  // Following: the newest line is the current one.
  const at = view.paused ? clamp(cursor, lines.length) : lines.length - 1;
  const current = lines[at];
  const hidden = keysNotFor(current);
  // The footer drops `a`/`A` while the line under the cursor cannot be approved.
  useEffect(() => ui.hideKeys('traffic', hidden), [ui, hidden]);

  const move = (by: number) => {
    if (!view.paused) view.pause();
    setCursor(clamp(at + by, lines.length));
  };

  useKeys(
    'traffic',
    (action) => {
      if (action === 'up') move(-1);
      else if (action === 'down') move(1);
      else if (action === 'pause') {
        if (view.paused) view.follow();
        else {
          view.pause();
          setCursor(lines.length - 1);
        }
      } else if (action === 'deniesOnly') setDeniesOnly((d) => !d);
      else if (action === 'filter')
        attempt(ui, async () => {
          const value = await ui.prompt('filter traffic', text);
          if (value !== null) setText(value);
        });
      else if (action === 'details' && current) ui.show(`Decision ${current.seq} in ${current.sandbox}`, detailLines(current));
      else if ((action === 'approve' || action === 'approveHost') && current && !hidden.includes(action)) {
        if (current.action !== 'deny') ui.notify('that line was allowed; pick a ✗ deny line to approve', 'error');
        else attempt(ui, () => (action === 'approve' ? approveExact(ui, current) : approveHost(ui, current)));
      }
    },
    active,
  );

  const rows = innerRows(rect);
  const width = innerColumns(rect);
  const showNotice = traffic.notice !== null && traffic.buffer.length === 0;
  const room = Math.max(rows - (showNotice ? 1 : 0), 1);
  const top = scrollTop(at, room, lines.length);
  // Time and verdict are fixed; binary, destination and request share the rest, the rule takes what is left.
  const share = (part: number, min: number) => Math.max(Math.floor((width - 18) * part), min);
  const [binW, dstW, reqW] = [share(0.25, 6), share(0.28, 8), share(0.3, 6)];
  const modes = [view.paused ? '○ PAUSED' : '● FOLLOWING', deniesOnly ? 'denies only' : '', text ? `/${text}` : '', ui.selected ?? 'all sandboxes'];
  return (
    <Pane title="Traffic" status={`${modes.filter(Boolean).join(' · ')} · ${lines.length}`} rect={rect} focused={focused}>
      {showNotice ? (
        <Text color={theme.warning} wrap="truncate">
          {traffic.notice}
        </Text>
      ) : null}
      {lines.length === 0 && !showNotice ? <Text color={theme.muted}>no decisions yet{text || deniesOnly ? ' match the filter' : ''}</Text> : null}
      {lines.slice(top, top + room).map((e, i) => (
        <Text key={`${e.sandbox}:${e.seq}`} wrap="truncate" inverse={focused && view.paused && top + i === at}>
          <Text color={theme.muted}>{clock(e.time)} </Text>
          <Text bold color={e.action === 'allow' ? theme.allow : theme.deny}>
            {fit(verdict(e), 7)}
          </Text>{' '}
          {fitTail(binaryOf(e), binW)} {fit(destination(e), dstW)} {fit(request(e), reqW)} <Text color={theme.muted}>{e.rule ?? '-'}</Text>
        </Text>
      ))}
    </Pane>
  );
}
