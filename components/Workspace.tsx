import { Box } from 'ink';
import type { InferenceCallsView } from './hooks/useInferenceCalls.ts';
import type { SandboxesView } from './hooks/useSandboxes.ts';
import type { TrafficView } from './hooks/useTraffic.ts';
import { InferencePane } from './InferencePane.tsx';
import { layout, type PaneId } from './layout.ts';
import { PolicyPane } from './PolicyPane.tsx';
import { SandboxesPane } from './SandboxesPane.tsx';
import { TrafficPane } from './TrafficPane.tsx';

interface Props {
  readonly columns: number;
  readonly rows: number;
  readonly focus: PaneId;
  readonly zoomed: boolean;
  /** False while a dialog or a suspended program owns the keyboard. */
  readonly keysFree: boolean;
  readonly hidden: boolean;
  readonly sandboxes: SandboxesView;
  readonly traffic: TrafficView;
  readonly inference: InferenceCallsView;
  readonly pollMs?: number;
}

/** The four panes in their grid (or the focused one zoomed); hidden panes stay mounted to keep their state. */
export function Workspace({ columns, rows, focus, zoomed, keysFree, hidden, sandboxes, traffic, inference, pollMs }: Props) {
  const { rects } = layout(columns, rows, zoomed ? focus : null);
  const shown = (id: PaneId) => (zoomed && focus !== id ? 'none' : 'flex');
  const props = (id: PaneId) => ({ rect: rects[id], focused: focus === id, active: keysFree && focus === id });
  return (
    <Box flexDirection="column" display={hidden ? 'none' : 'flex'}>
      <Box display={zoomed && focus !== 'sandboxes' && focus !== 'policy' ? 'none' : 'flex'}>
        <Box display={shown('sandboxes')}>
          <SandboxesPane {...props('sandboxes')} view={sandboxes} totals={traffic.buffer.totals} />
        </Box>
        <Box display={shown('policy')}>
          <PolicyPane {...props('policy')} />
        </Box>
      </Box>
      <Box display={zoomed && focus !== 'traffic' && focus !== 'inference' ? 'none' : 'flex'}>
        <Box display={shown('traffic')}>
          <TrafficPane {...props('traffic')} traffic={traffic} />
        </Box>
        <Box display={shown('inference')}>
          <InferencePane {...props('inference')} calls={inference} {...(pollMs === undefined ? {} : { pollMs })} />
        </Box>
      </Box>
    </Box>
  );
}
