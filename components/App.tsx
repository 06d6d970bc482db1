import { useCallback, useMemo, useState } from 'react';
import { Box, Text, useApp } from 'ink';
import type { Gateway } from '../core/gateway/types.ts';
import { attempt } from './attempt.ts';
import { createFromForm } from './create-sandbox.ts';
import { ConfirmDialog } from './dialogs/ConfirmDialog.tsx';
import { CreateForm } from './dialogs/CreateForm.tsx';
import { GatewaysDialog } from './dialogs/GatewaysDialog.tsx';
import { PromptLine } from './dialogs/PromptLine.tsx';
import { ViewDialog } from './dialogs/ViewDialog.tsx';
import { Footer } from './Footer.tsx';
import { Header } from './Header.tsx';
import { helpLines } from './help.ts';
import type { TuiHost } from './host.ts';
import { useDialogs } from './hooks/useDialogs.ts';
import { useSandboxes } from './hooks/useSandboxes.ts';
import { useTerminalSize } from './hooks/useTerminalSize.ts';
import { useTraffic } from './hooks/useTraffic.ts';
import { KeyRouter, useKeys } from './hooks/useKeys.ts';
import { CHROME_ROWS, PANES, type PaneId } from './layout.ts';
import { theme } from './theme.ts';
import { UiContext, type MessageLevel, type Ui } from './ui-context.ts';
import { Workspace } from './Workspace.tsx';

interface Props {
  readonly gateway: Gateway;
  readonly host: TuiHost;
  readonly pollMs?: number;
}

const SETTLE_MS = 120;

/** The workbench: header, four panes, one dialog at a time, a message line and the keys that work. */
export function App(props: Props) {
  return (
    <KeyRouter>
      <Workbench {...props} />
    </KeyRouter>
  );
}

function Workbench({ gateway, host, pollMs = 2000 }: Props) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const sandboxes = useSandboxes(gateway, pollMs);
  const traffic = useTraffic(gateway);
  const dialogs = useDialogs();
  const [focus, setFocus] = useState<PaneId>('sandboxes');
  const [zoomed, setZoomed] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; level: MessageLevel } | null>(null);
  const [suspendedFor, setSuspendedFor] = useState<string | null>(null);

  const notify = useCallback((text: string, level: MessageLevel = 'info') => setMessage({ text, level }), []);
  // The TUI steps aside (its last frame says why) while a program owns the terminal, then redraws.
  const suspend = useCallback(async <T,>(label: string, work: () => Promise<T>): Promise<T> => {
    setSuspendedFor(label);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    try {
      return await work();
    } finally {
      setSuspendedFor(null);
    }
  }, []);

  const { confirm, prompt, open, close, modal } = dialogs;
  const ui = useMemo<Ui>(
    () => ({
      gateway,
      selected,
      select: setSelected,
      notify,
      confirm,
      prompt,
      show: (title, lines) => open({ kind: 'view', title, lines }),
      openshell: (args) => suspend(`openshell ${args.join(' ')}`, () => host.openshell(args)),
      editText: (text, file) => suspend(`$EDITOR ${file}`, () => host.editText(text, file)),
      openCreateForm: () => open({ kind: 'create' }),
    }),
    [gateway, selected, notify, confirm, prompt, open, suspend, host],
  );

  const keysFree = modal === null && suspendedFor === null;
  useKeys(
    'global',
    (action) => {
      const step = action === 'focusNext' ? 1 : action === 'focusPrev' ? PANES.length - 1 : 0;
      if (step) setFocus((f) => PANES[(PANES.indexOf(f) + step) % PANES.length]!);
      else if (action === 'zoom') setZoomed((z) => !z);
      else if (action === 'help') open({ kind: 'view', title: 'Keys (from the keymap)', lines: helpLines() });
      else if (action === 'gateways') open({ kind: 'gateways' });
      else if (action === 'quit') exit();
    },
    keysFree,
  );

  const height = Math.max(rows - CHROME_ROWS, 8);
  const gatewayError = sandboxes.error ? { text: `gateway ${gateway.name}: ${sandboxes.error}`, level: 'error' as const } : null;
  const line = gatewayError ?? message;
  return (
    <UiContext.Provider value={ui}>
      {suspendedFor !== null ? <Text color={theme.muted}>running {suspendedFor} — the workbench comes back when it exits</Text> : null}
      <Box flexDirection="column" width={columns} height={rows - 1} display={suspendedFor === null ? 'flex' : 'none'}>
        <Header name={gateway.name} location={gateway.location} error={sandboxes.error} loaded={sandboxes.loaded} sandboxes={sandboxes.sandboxes.length} rates={traffic.buffer.rates()} columns={columns} />
        <Workspace
          columns={columns}
          rows={rows}
          focus={focus}
          zoomed={zoomed}
          keysFree={keysFree}
          hidden={modal !== null && modal.kind !== 'prompt'}
          sandboxes={sandboxes}
          traffic={traffic}
        />
        {modal?.kind === 'confirm' ? <ConfirmDialog title={modal.title} lines={modal.lines} height={height} onAnswer={modal.answer} /> : null}
        {modal?.kind === 'view' ? <ViewDialog title={modal.title} lines={modal.lines} height={height} onClose={close} /> : null}
        {modal?.kind === 'gateways' ? <GatewaysDialog gateways={[{ name: gateway.name, location: gateway.location, active: true }]} onClose={close} /> : null}
        {modal?.kind === 'create' ? (
          <CreateForm height={height} onCancel={close} onSubmit={(values) => (close(), attempt(ui, () => createFromForm(ui, values)))} />
        ) : null}
        {modal?.kind === 'prompt' ? (
          <PromptLine label={modal.label} initial={modal.initial} onDone={modal.done} />
        ) : (
          <Text wrap="truncate" color={line?.level === 'error' ? theme.error : theme.muted}>
            {line?.text ?? ' '}
          </Text>
        )}
        <Footer scope={modal ? 'dialog' : focus} />
      </Box>
    </UiContext.Provider>
  );
}
