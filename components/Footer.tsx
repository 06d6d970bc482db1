import { Box, Text } from 'ink';
import { bindingsFor, keyCap, type Binding, type Scope } from './keymap.ts';
import { theme } from './theme.ts';

interface Props {
  readonly scope: Scope;
}

function Keys({ bindings }: { readonly bindings: readonly Binding[] }) {
  return (
    <Text wrap="truncate">
      {bindings
        .filter((k) => k.footer)
        .map((k) => (
          <Text key={k.action}>
            <Text bold color={theme.accent}>
              {keyCap(k)}
            </Text>
            <Text color={theme.muted}> {k.label}  </Text>
          </Text>
        ))}
    </Text>
  );
}

/** The keys that work right now: the focused pane's (or dialog's), then the global ones. */
export function Footer({ scope }: Props) {
  return (
    <Box flexDirection="column">
      <Keys bindings={bindingsFor(scope)} />
      {scope === 'dialog' || scope === 'gateways' ? <Text> </Text> : <Keys bindings={bindingsFor('global')} />}
    </Box>
  );
}
