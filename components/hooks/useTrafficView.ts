import { useMemo, useState } from 'react';
import type { TrafficEvent } from '../../core/events/traffic.ts';
import { matchesText } from '../traffic-format.ts';
import type { TrafficView } from './useTraffic.ts';

export interface TrafficFilter {
  readonly sandbox: string | null;
  readonly text: string;
  readonly deniesOnly: boolean;
}

/** The lines the traffic pane shows: live, or frozen while paused, through the current filter. */
export function useTrafficView(traffic: TrafficView, filter: TrafficFilter) {
  const [frozen, setFrozen] = useState<readonly TrafficEvent[] | null>(null);
  const { buffer, version } = traffic;
  const source = useMemo(() => frozen ?? buffer.events(), [frozen, buffer, version]);
  const lines = useMemo(
    () =>
      source.filter(
        (e) => (filter.sandbox === null || e.sandbox === filter.sandbox) && (!filter.deniesOnly || e.action === 'deny') && matchesText(e, filter.text),
      ),
    [source, filter.sandbox, filter.deniesOnly, filter.text],
  );
  return {
    lines,
    paused: frozen !== null,
    pause: () => setFrozen(buffer.events()),
    follow: () => setFrozen(null),
  };
}
