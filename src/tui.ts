import { createElement } from 'react';
import { render } from 'ink';
import type { Gateway } from '../core/gateway/types.ts';
import { App } from '../components/App.tsx';
import type { GatewayDirectory } from '../components/gateway-directory.ts';
import { gatewayDirectory } from './tui/directory.ts';
import { terminalHost } from './tui/host.ts';
import { CLEAR_HOME, ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, SHOW_CURSOR } from './tui/terminal.ts';

/**
 * The full-screen workbench on this terminal: alternate screen in, the App until `q` or Ctrl-C, and the
 * terminal as it was on the way out — also when the process dies.
 */
export async function runTui(
  gateway: Gateway,
  stdin = process.stdin,
  stdout = process.stdout,
  // The gateway registry, so `g` lists and switches; it takes over closing `gateway` on a switch.
  directory: GatewayDirectory = gatewayDirectory(undefined, { current: gateway }),
): Promise<void> {
  // Engine checks and leftover clean-up; a dead engine is shown by the App, not thrown here.
  await gateway.start().catch(() => undefined);
  const restore = () => stdout.write(LEAVE_ALT_SCREEN + SHOW_CURSOR);
  process.once('exit', restore);
  stdout.write(ENTER_ALT_SCREEN + CLEAR_HOME);
  try {
    const app = render(createElement(App, { gateway, directory, host: terminalHost({ stdin, stdout }) }), { stdin, stdout, exitOnCtrlC: true });
    await app.waitUntilExit();
    // Ink leaves stdin paused but referenced a moment longer; the process should end with the TUI.
    stdin.unref();
  } finally {
    process.off('exit', restore);
    restore();
  }
}
