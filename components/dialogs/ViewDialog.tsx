import { useState } from 'react';
import { Box, Text } from 'ink';
import { useKeys } from '../hooks/useKeys.ts';
import { theme } from '../theme.ts';
import type { Line } from '../ui-context.ts';

interface Props {
  readonly title: string;
  readonly lines: readonly Line[];
  readonly height: number;
  readonly onClose: () => void;
}

/** Read-only text (details, problems, help): ↑/↓ scroll, Esc, q or Enter closes. */
export function ViewDialog({ title, lines, height, onClose }: Props) {
  const [top, setTop] = useState(0);
  const room = Math.max(height - 4, 1);
  const last = Math.max(lines.length - room, 0);
  useKeys('dialog', (action, input, key) => {
    if (action === 'cancel' || input === 'q' || key.return) onClose();
    else if (key.downArrow || input === 'j') setTop((t) => Math.min(t + 1, last));
    else if (key.upArrow || input === 'k') setTop((t) => Math.max(t - 1, 0));
  });
  const more = lines.length - top - room;
  return (
    <Box flexDirection="column" height={height} borderStyle="double" borderColor={theme.borderFocused} paddingX={1}>
      <Text bold color={theme.accent} wrap="truncate">
        {title}
      </Text>
      {lines.slice(top, top + room).map((l, i) => (
        <Text key={top + i} color={l.tone ? theme[l.tone] : theme.text} wrap="truncate">
          {l.text}
        </Text>
      ))}
      <Text color={theme.muted}>{more > 0 ? `↓ ${more} more line(s) · ` : ''}Esc closes</Text>
    </Box>
  );
}
