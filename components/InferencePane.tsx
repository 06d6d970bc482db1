import { Text } from 'ink';
import type { Rect } from './layout.ts';
import { Pane } from './Pane.tsx';
import { theme } from './theme.ts';

interface Props {
  readonly rect: Rect;
  readonly focused: boolean;
}

/** Inference routes belong to the privacy router, which is not built yet; the pane says so plainly. */
export function InferencePane({ rect, focused }: Props) {
  return (
    <Pane title="Inference" rect={rect} focused={focused}>
      <Text color={theme.muted}>No inference routes are configured yet: the privacy router comes in a later issue.</Text>
    </Pane>
  );
}
