import { Text } from 'ink';
import type { Key } from 'ink';
import { theme } from '../theme.ts';

/** The next value of a one-line field after a keypress (printable text appends, backspace deletes). */
export function editField(value: string, input: string, key: Key): string {
  if (key.backspace || key.delete) return value.slice(0, -1);
  if (key.ctrl || key.meta || key.return || key.escape || key.tab || key.upArrow || key.downArrow) return value;
  return value + input;
}

interface Props {
  readonly label: string;
  readonly value: string;
  readonly focused: boolean;
  readonly placeholder?: string;
}

export function TextField({ label, value, focused, placeholder }: Props) {
  return (
    <Text wrap="truncate">
      <Text bold={focused} color={focused ? theme.accent : theme.muted}>
        {focused ? '› ' : '  '}
        {label}:{' '}
      </Text>
      {value === '' && placeholder ? <Text color={theme.muted}>{placeholder}</Text> : <Text>{value}</Text>}
      {focused ? <Text color={theme.accent}>▌</Text> : null}
    </Text>
  );
}
