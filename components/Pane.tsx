import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import { theme } from './theme.ts';
import type { Rect } from './layout.ts';

interface Props {
  readonly title: string;
  /** Right of the title: counts, modes. */
  readonly status?: string;
  readonly rect: Rect;
  readonly focused: boolean;
  readonly children: ReactNode;
}

/** A bordered pane whose border and title show focus. */
export function Pane({ title, status, rect, focused, children }: Props) {
  return (
    <Box
      flexDirection="column"
      width={rect.width}
      height={rect.height}
      borderStyle={focused ? 'bold' : 'round'}
      borderColor={focused ? theme.borderFocused : theme.border}
      paddingX={1}
      overflow="hidden"
    >
      <Text wrap="truncate">
        <Text bold color={focused ? theme.accent : theme.title}>
          {focused ? '▸ ' : '  '}
          {title}
        </Text>
        {status ? <Text color={theme.muted}> {status}</Text> : null}
      </Text>
      {children}
    </Box>
  );
}
