import { useKeys } from '../hooks/useKeys.ts';
import { Box, Text } from 'ink';
import { Table } from '@alcalzone/ink-table';
import { symbols, theme } from '../theme.ts';

interface Props {
  readonly gateways: readonly { readonly name: string; readonly location: string; readonly active: boolean }[];
  readonly onClose: () => void;
}

/** Registered gateways and where each runs; the active one is marked. */
export function GatewaysDialog({ gateways, onClose }: Props) {
  useKeys('dialog', (action, input, key) => {
    if (action === 'cancel' || input === 'q' || input === 'g' || key.return) onClose();
  });
  const data = gateways.map((g) => ({ active: g.active ? symbols.healthy : '', name: g.name, location: g.location }));
  return (
    <Box flexDirection="column" borderStyle="double" borderColor={theme.borderFocused} paddingX={1}>
      <Text bold color={theme.accent}>
        Gateways
      </Text>
      <Table data={data} />
      <Text color={theme.muted}>Esc closes</Text>
    </Box>
  );
}
