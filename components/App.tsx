import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { Box, Text, useApp } from 'ink';
import type { Gateway } from '../core/gateway/types.ts';
import { attempt } from './attempt.ts';
import { runCommandLine } from './command-line.ts';
import { createFromForm } from './create-sandbox.ts';
import { ConfirmDialog } from './dialogs/ConfirmDialog.tsx';
import { CreateForm } from './dialogs/CreateForm.tsx';
import { GatewaysDialog } from './dialogs/GatewaysDialog.tsx';
import { PromptLine } from './dialogs/PromptLine.tsx';
import { ViewDialog } from './dialogs/ViewDialog.tsx';
import { Footer } from './Footer.tsx';
import { addGateway, connectingOn, removeGateway } from './gateway-actions.ts';
import { singleGateway, type Connecting, type GatewayDirectory } from './gateway-directory.ts';
import { Header } from './Header.tsx';
import { helpLines } from './help.ts';
import type { TuiHost } from './host.ts';
import { useDialogs } from './hooks/useDialogs.ts';
import { useInferenceCalls } from './hooks/useInferenceCalls.ts';
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
  /** The registered gateways, and how to open one (built in src/tui/ from the registry); default: just `gateway`. */
  readonly directory?: GatewayDirectory;
  readonly pollMs?: number;
}

interface WorkbenchProps extends Props {
  readonly directory: GatewayDirectory;
  /** The first message line: how we got here after a switch. */
  readonly note: string | null;
  readonly onSwitch: (gateway: Gateway, note: string) => void;
  /** Where a gateway's SSH notices and host-key questions go: the workbench on screen now. */
  readonly live: RefObject<Connecting | null>;
}

const SETTLE_MS = 120;

/** The workbench: header, four panes, one dialog at a time, a message line and the keys that work. */
export function App(props: Props) {
  const [shown, setShown] = useState<{ gateway: Gateway; note: string | null }>({ gateway: props.gateway, note: null });
  const live = useRef<Connecting | null>(null);
  const onSwitch = useCallback((gateway: Gateway, note: string) => setShown({ gateway, note }), []);
  const [fallback] = useState(() => singleGateway(props.gateway));
  // A new gateway is a new workbench: its selection, traffic and dialogs start over.
  return (
    <KeyRouter>
      <Workbench key={shown.gateway.name} {...props} directory={props.directory ?? fallback} gateway={shown.gateway} note={shown.note} onSwitch={onSwitch} live={live} />
    </KeyRouter>
  );
}

function Workbench({ gateway, host, directory, note, onSwitch, live, pollMs = 2000 }: WorkbenchProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const sandboxes = useSandboxes(gateway, pollMs);
  const traffic = useTraffic(gateway);
  // After useTraffic: it takes the bus's backlog, and this one reads what waited there from its buffer.
  const inference = useInferenceCalls(gateway, traffic.buffer);
  const dialogs = useDialogs();
  const [focus, setFocus] = useState<PaneId>('sandboxes');
  const [zoomed, setZoomed] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; level: MessageLevel } | null>(note === null ? null : { text: note, level: 'info' });
  const [suspendedFor, setSuspendedFor] = useState<string | null>(null);
  const [hiddenKeys, setHiddenKeys] = useState<{ pane: PaneId; actions: readonly string[] } | null>(null);
  // A gateway sign-in waiting for a browser or an operator; Esc aborts it.
  const [waiting, setWaiting] = useState<AbortController | null>(null);

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
      hideKeys: (pane, actions) => setHiddenKeys((old) => (old?.pane === pane && old.actions === actions ? old : { pane, actions })),
    }),
    [gateway, selected, notify, confirm, prompt, open, suspend, host],
  );

  useEffect(() => {
    live.current = connectingOn(ui);
  }, [live, ui]);
  // Delegates to whichever workbench is on screen when a long-lived gateway speaks.
  const how = useMemo<Connecting>(
    () => ({ progress: (m) => live.current?.progress(m), trustHostKey: (k) => live.current?.trustHostKey(k) ?? Promise.resolve(false) }),
    [live],
  );
  // Read from the registry each time the dialog opens, not on every poll's render.
  const registered = useMemo(() => (modal?.kind === 'gateways' ? directory.list() : []), [modal, directory]);
  const gatewayKeys = {
    // Through `attempt`, so a name removed behind our back reads as a message, not a crash.
    onSwitch: (name: string) =>
      attempt(ui, () =>
        Promise.resolve().then(() => {
          close();
          if (name === gateway.name) return;
          const next = directory.open(name, how);
          directory.select(name);
          onSwitch(next, `switched to gateway ${name} (${next.location})`);
        }),
      ),
    onAdd: () =>
      attempt(ui, async () => {
        const controller = new AbortController();
        setWaiting(controller);
        try {
          await addGateway(ui, directory, how, controller.signal);
        } finally {
          setWaiting((w) => (w === controller ? null : w));
        }
      }),
    onRemove: (name: string) =>
      attempt(ui, async () => {
        if (await removeGateway(ui, directory, name, gateway.name)) open({ kind: 'gateways' });
      }),
  };

  const keysFree = modal === null && suspendedFor === null;
  useKeys(
    'global',
    (action) => {
      const step = action === 'focusNext' ? 1 : action === 'focusPrev' ? PANES.length - 1 : 0;
      if (step) setFocus((f) => PANES[(PANES.indexOf(f) + step) % PANES.length]!);
      else if (action === 'zoom') setZoomed((z) => !z);
      else if (action === 'help') open({ kind: 'view', title: 'Keys (from the keymap)', lines: helpLines() });
      else if (action === 'gateways') open({ kind: 'gateways' });
      else if (action === 'command') attempt(ui, () => runCommandLine(ui, host));
      else if (action === 'quit') exit();
      else if (action === 'cancelWait') waiting?.abort();
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
          inference={inference}
          pollMs={pollMs}
        />
        {modal?.kind === 'confirm' ? <ConfirmDialog title={modal.title} lines={modal.lines} height={height} onAnswer={modal.answer} /> : null}
        {modal?.kind === 'view' ? <ViewDialog title={modal.title} lines={modal.lines} height={height} onClose={close} /> : null}
        {modal?.kind === 'gateways' ? <GatewaysDialog gateways={registered} current={gateway.name} {...gatewayKeys} onClose={close} /> : null}
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
        <Footer scope={modal ? (modal.kind === 'gateways' ? 'gateways' : 'dialog') : focus} {...(!modal && hiddenKeys?.pane === focus ? { hidden: hiddenKeys.actions } : {})} cancellable={waiting !== null} />
      </Box>
    </UiContext.Provider>
  );
}
