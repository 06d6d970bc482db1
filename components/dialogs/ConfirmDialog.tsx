import { Box, Text } from 'ink';
import { useKeys } from '../hooks/useKeys.ts';
import { theme } from '../theme.ts';
import type { Line } from '../ui-context.ts';

interface Props {
  readonly title: string;
  readonly lines: readonly Line[];
  readonly height: number;
  readonly onAnswer: (yes: boolean) => void;
}

/** A question over what would change (a diff, a name); nothing happens until `y`. */
export function ConfirmDialog({ title, lines, height, onAnswer }: Props) {
  useKeys('dialog', (action) => {
    if (action === 'confirm') onAnswer(true);
    else if (action === 'cancel') onAnswer(false);
  });
  const room = Math.max(height - 5, 1);
  const shown = lines.slice(0, room);
  return (
    <Box flexDirection="column" height={height} borderStyle="double" borderColor={theme.warning} paddingX={1}>
      <Text bold color={theme.warning} wrap="truncate">
        {title}
      </Text>
      {shown.map((l, i) => (
        <Text key={i} color={l.tone ? theme[l.tone] : theme.text} wrap="truncate">
          {l.text}
        </Text>
      ))}
      {lines.length > room ? <Text color={theme.muted}>… {lines.length - room} more line(s)</Text> : null}
      <Text bold>
        <Text color={theme.accent}>y</Text> apply · <Text color={theme.accent}>n</Text>/<Text color={theme.accent}>Esc</Text> cancel
      </Text>
    </Box>
  );
}
