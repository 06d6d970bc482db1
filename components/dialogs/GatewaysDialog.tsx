import { useState } from 'react';
import { Box, Text } from 'ink';
import { clamp, fit } from '../attempt.ts';
import type { GatewayListing } from '../gateway-directory.ts';
import { useKeys } from '../hooks/useKeys.ts';
import { symbols, theme } from '../theme.ts';

const AUTH_LABEL = { 'signed in': 'signed in', expired: 'token expired', 'signed out': 'not signed in' } as const;

interface Props {
  readonly gateways: readonly GatewayListing[];
  /** The gateway the workbench shows now. */
  readonly current: string;
  readonly onSwitch: (name: string) => void;
  readonly onAdd: () => void;
  readonly onRemove: (name: string) => void;
  readonly onClose: () => void;
}

/** Registered gateways and where each runs: Enter switches the workbench, a adds one (SSH or https), x removes. */
export function GatewaysDialog({ gateways, current, onSwitch, onAdd, onRemove, onClose }: Props) {
  const [cursor, setCursor] = useState(() => Math.max(gateways.findIndex((g) => g.name === current), 0));
  const at = gateways[clamp(cursor, gateways.length)];
  useKeys('gateways', (action) => {
    if (action === 'up') setCursor((c) => clamp(c - 1, gateways.length));
    else if (action === 'down') setCursor((c) => clamp(c + 1, gateways.length));
    else if (action === 'switch' && at) onSwitch(at.name);
    else if (action === 'add') onAdd();
    else if (action === 'remove' && at) onRemove(at.name);
    else if (action === 'close') onClose();
  });
  const width = Math.max(...gateways.map((g) => g.name.length), 4) + 2;
  return (
    <Box flexDirection="column" borderStyle="double" borderColor={theme.borderFocused} paddingX={1}>
      <Text bold color={theme.accent}>
        Gateways
      </Text>
      <Text color={theme.muted}>
        {'    '}
        {fit('NAME', width)}
        {fit('KIND', 7)}LOCATION
      </Text>
      {gateways.map((g) => (
        <Text key={g.name} wrap="truncate" color={g === at ? theme.selected : theme.text}>
          {g === at ? symbols.cursor : ' '} <Text color={theme.allow}>{g.name === current ? symbols.healthy : ' '}</Text> {fit(g.name, width)}
          {fit(g.kind, 7)}
          {g.location}
          {g.selected ? <Text color={theme.muted}> (default)</Text> : null}
          {g.auth ? <Text color={g.auth === 'signed in' ? theme.allow : theme.warning}> · {AUTH_LABEL[g.auth]}</Text> : null}
        </Text>
      ))}
      <Text color={theme.muted}>{symbols.healthy} shown now · (default) used by plain `openshell` commands</Text>
      {gateways.some((g) => g.auth !== undefined && g.auth !== 'signed in') ? (
        <Text color={theme.muted}>sign in to a served gateway with `openshell gateway login NAME`</Text>
      ) : null}
    </Box>
  );
}
