import { Box, Text } from 'ink';
import { symbols, theme } from './theme.ts';
import type { Counts } from './traffic-buffer.ts';

interface Props {
  readonly name: string;
  readonly location: string;
  readonly error: string | null;
  readonly loaded: boolean;
  readonly sandboxes: number;
  readonly rates: Counts;
  readonly columns: number;
}

const rate = (n: number) => (n >= 10 ? n.toFixed(0) : n.toFixed(1));

/** Gateway, where it runs, its health, and how busy it is. */
export function Header({ name, location, error, loaded, sandboxes, rates, columns }: Props) {
  const health = error ? `${symbols.unhealthy} unreachable` : loaded ? `${symbols.healthy} healthy` : `${symbols.unhealthy} connecting`;
  return (
    <Box>
      <Text wrap="truncate">
        {/* The brand gives way first, so 80 columns still show every fact. */}
        {columns >= 90 ? <Text bold color={theme.accent}>openshell </Text> : null}
        <Text bold>{name}</Text>
        <Text color={theme.muted}> {location} </Text>
        <Text color={error ? theme.error : loaded ? theme.allow : theme.warning}>{health}</Text>
        <Text> · {sandboxes} sandbox{sandboxes === 1 ? '' : 'es'} · </Text>
        <Text color={theme.allow}>{symbols.allow} {rate(rates.allow)}/s</Text>
        <Text> </Text>
        <Text color={theme.deny}>{symbols.deny} {rate(rates.deny)}/s</Text>
      </Text>
    </Box>
  );
}
