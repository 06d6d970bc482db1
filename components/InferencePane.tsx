import { useState } from 'react';
import { Text } from 'ink';
import type { TrafficEvent } from '../core/events/traffic.ts';
import { attempt, fit } from './attempt.ts';
import type { InferenceCallsView } from './hooks/useInferenceCalls.ts';
import { useInferenceConfig } from './hooks/useInferenceConfig.ts';
import { useKeys } from './hooks/useKeys.ts';
import { backendFacts, callSummary, inferenceLines, priceLabel } from './inference-format.ts';
import { innerColumns, innerRows, type Rect } from './layout.ts';
import { Pane } from './Pane.tsx';
import { symbols, theme } from './theme.ts';
import { binaryOf, clock, request, verdict } from './traffic-format.ts';
import { useUi, type Line } from './ui-context.ts';

interface Props {
  readonly rect: Rect;
  readonly focused: boolean;
  readonly active: boolean;
  readonly calls: InferenceCallsView;
  /** How often the router's configuration is read again. */
  readonly pollMs?: number;
}

const HEALTH = { ok: { symbol: symbols.healthy, tone: 'allow' }, failing: { symbol: symbols.deny, tone: 'deny' }, unused: { symbol: symbols.unhealthy, tone: 'muted' } } as const;
const keyOf = (e: TrafficEvent) => `${e.sandbox}:${e.seq}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function detailLines(e: TrafficEvent): Line[] {
  const head: [string, string | undefined][] = [
    ['time', e.time],
    ['sandbox', e.sandbox],
    ['verdict', verdict(e)],
    ['binary', `${binaryOf(e)}${e.pid === undefined ? '' : ` (pid ${e.pid})`}`],
    ['request', request(e) || undefined],
    ['reason', e.reason],
    ['error', e.error],
  ];
  const lines: Line[] = head.filter(([, v]) => v !== undefined).map(([k, v]) => ({ text: `${k.padEnd(12)}${v}` }));
  return e.inference ? [...lines, ...inferenceLines(e.inference)] : lines;
}

/** The privacy router: its backends (tier, price, health, latency, requests) and its recent routing decisions. */
export function InferencePane({ rect, focused, active, calls, pollMs }: Props) {
  const ui = useUi();
  const { config, error, refresh } = useInferenceConfig(ui.gateway, pollMs);
  // The decision the cursor is on, by identity; null follows the newest.
  const [picked, setPicked] = useState<string | null>(null);
  const { log } = calls;
  const decisions = log.calls((e) => ui.selected === null || e.sandbox === ui.selected);
  const found = picked === null ? 0 : decisions.findIndex((e) => keyOf(e) === picked);
  const at = Math.max(found, 0);
  const current = decisions[at];

  useKeys(
    'inference',
    (action) => {
      if (action === 'up') setPicked(at <= 1 ? null : keyOf(decisions[at - 1]!));
      else if (action === 'down' && decisions[at + 1]) setPicked(keyOf(decisions[at + 1]!));
      else if (action === 'details') {
        if (current) ui.show(`Inference call ${current.seq} in ${current.sandbox}`, detailLines(current));
        else ui.notify('no routing decisions yet: they appear when a sandbox calls https://inference.local', 'error');
      } else if (action === 'refresh')
        attempt(ui, async () => {
          if (await refresh()) ui.notify('inference configuration reloaded');
        });
    },
    active,
  );

  const rows = innerRows(rect);
  const width = innerColumns(rect);
  const compact = width < 44;
  const backends = config?.backends ?? [];
  const notice = error ?? (config === null ? 'loading…' : backends.length === 0 ? 'no backends: add one with `openshell inference backend add`' : null);
  // Backends take at most half the rows once decisions exist; decisions get the rest.
  const backendRoom = Math.max(1, Math.min(backends.length, decisions.length === 0 ? rows - 1 : Math.ceil((rows - 1) / 2)));
  // When they do not all fit, the last backend row says how many are left out.
  const shownBackends = backends.slice(0, backends.length > backendRoom ? backendRoom - 1 : backendRoom);
  const hiddenBackends = backends.length - shownBackends.length;
  const used = (notice ? 1 : 0) + shownBackends.length + (hiddenBackends > 0 ? 1 : 0);
  const header = decisions.length > 0 && rows - used >= 3;
  const room = Math.max(rows - used - (header ? 1 : 0), 0);
  const top = Math.max(0, Math.min(at - room + 1, decisions.length - room));
  const nameW = Math.min(Math.max(4, ...backends.map((b) => b.name.length)), compact ? 12 : 20);
  const sandboxW = Math.min(Math.max(4, ...decisions.map((e) => e.sandbox.length)), 14);
  const status = [plural(backends.length, 'backend'), plural(config?.routes.length ?? 0, 'route'), plural(decisions.length, 'call'), ui.selected ?? 'all sandboxes'];
  return (
    <Pane title="Inference" status={status.join(' · ')} rect={rect} focused={focused}>
      {notice ? (
        <Text color={error ? theme.warning : theme.muted} wrap="truncate">
          {error ? `router configuration: ${error}` : notice}
        </Text>
      ) : null}
      {shownBackends.map((b) => {
        const f = backendFacts(log.backends.get(b.name));
        const h = HEALTH[f.health];
        return (
          <Text key={b.name} wrap="truncate">
            <Text color={theme[h.tone]}>{h.symbol}</Text> <Text bold>{fit(b.name, nameW)}</Text> {fit(b.privacy, 7)}
            {compact ? '' : ` ${fit(priceLabel(b), 13)}`} <Text color={theme[h.tone]}>{fit(f.healthNote, compact ? 7 : 11)}</Text> {fit(`${f.requests} req`, 9)} {f.latency}
          </Text>
        );
      })}
      {hiddenBackends > 0 ? (
        <Text color={theme.muted} wrap="truncate">
          +{hiddenBackends} more backend(s): z zooms
        </Text>
      ) : null}
      {header ? (
        <Text color={theme.muted} wrap="truncate">
          recent decisions, newest first
        </Text>
      ) : null}
      {decisions.length === 0 && !notice && rows - used > 0 ? (
        <Text color={theme.muted} wrap="truncate">
          no routing decisions yet{ui.selected ? ` for ${ui.selected}` : ''}
        </Text>
      ) : null}
      {decisions.slice(top, top + room).map((e, i) => (
        <Text key={keyOf(e)} wrap="truncate" inverse={focused && top + i === at && picked !== null}>
          {compact ? '' : <Text color={theme.muted}>{clock(e.time)} </Text>}
          {compact ? '' : `${fit(e.sandbox, sandboxW)} `}
          <Text bold color={e.action === 'allow' && !e.inference?.fallback.length ? theme.allow : e.action === 'allow' ? theme.warning : theme.deny}>
            {e.action === 'allow' ? symbols.allow : symbols.deny}
          </Text>{' '}
          {callSummary(e)}
        </Text>
      ))}
    </Pane>
  );
}
