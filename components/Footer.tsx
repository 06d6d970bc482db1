import { Box, Text } from 'ink';
import { bindingsFor, keyCap, type Binding, type Scope } from './keymap.ts';
import { theme } from './theme.ts';

interface Props {
  readonly scope: Scope;
  /** Actions of `scope` that do nothing right now. */
  readonly hidden?: readonly string[];
  /** Something waits that Esc can cancel (a gateway sign-in). */
  readonly cancellable?: boolean;
}

function Keys({ bindings, hidden = [] }: { readonly bindings: readonly Binding[]; readonly hidden?: readonly string[] }) {
  return (
    <Text wrap="truncate">
      {bindings
        .filter((k) => k.footer && !hidden.includes(k.action))
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
export function Footer({ scope, hidden, cancellable = false }: Props) {
  return (
    <Box flexDirection="column">
      <Keys bindings={bindingsFor(scope)} {...(hidden ? { hidden } : {})} />
      {scope === 'dialog' || scope === 'gateways' ? <Text> </Text> : <Keys bindings={bindingsFor('global')} hidden={cancellable ? [] : ['cancelWait']} />}
    </Box>
  );
}
