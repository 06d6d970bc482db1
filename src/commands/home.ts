import type { Command } from 'commander';
import { openGateway, stderrProgress } from '../connect.ts';
import { printData } from '../output.ts';
import { SANDBOX_COLUMNS } from './sandbox-columns.ts';

/**
 * `openshell` with no command: the TUI on a terminal (unless `--no-tui`), otherwise a summary of where
 * things stand. Subcommands never open the TUI.
 */
export function registerHome(program: Command): void {
  program.action(async (opts: { tui?: boolean }) => {
    const gateway = openGateway();
    if (opts.tui !== false && process.stdin.isTTY && process.stdout.isTTY) {
      // Ink draws only a final frame when it thinks it runs in CI; a person at a terminal wants it live.
      delete process.env.CI;
      delete process.env.CONTINUOUS_INTEGRATION;
      // Loaded only here, so headless commands never pay for React and Ink.
      const { runTui } = await import('../tui.ts');
      await runTui(gateway);
      return;
    }
    const status = await gateway.start({ progress: stderrProgress });
    process.stdout.write(
      `gateway ${status.name} (${status.location}): ${status.state}, Docker ${status.engineVersion ?? '?'}, ` +
        `${status.sandboxes} sandbox(es), ${status.ready} ready\n`,
    );
    const sandboxes = await gateway.listSandboxes();
    if (sandboxes.length > 0) printData(sandboxes, 'table', SANDBOX_COLUMNS);
    else process.stdout.write('no sandboxes yet: `openshell sandbox create` makes one\n');
    process.stdout.write('run `openshell --help` for every command\n');
  });
}
