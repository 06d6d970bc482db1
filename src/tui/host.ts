import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TuiHost } from '../../components/host.ts';
import { withTerminalSuspended, type TerminalIo } from './terminal.ts';

const BIN = fileURLToPath(new URL('../../bin/openshell', import.meta.url));

/** Ctrl-C typed in the child reaches our process group too; it is the child's to handle. */
function ignoringSigint<T>(run: () => T): T {
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  try {
    return run();
  } finally {
    // The signal is delivered after spawnSync returns, so the listener stays a moment longer.
    setTimeout(() => process.off('SIGINT', ignore), 200);
  }
}

function runInherited(io: TerminalIo, cmd: string, args: readonly string[]): number {
  return withTerminalSuspended(io, () =>
    ignoringSigint(() => {
      const r = spawnSync(cmd, args, { stdio: 'inherit' });
      if (r.error) throw r.error;
      return r.status ?? 1;
    }),
  );
}

/** The real terminal: child programs run on it with inherited stdio while the TUI is suspended. */
export function terminalHost(io: TerminalIo, env: NodeJS.ProcessEnv = process.env): TuiHost {
  return {
    openshell: (args) => Promise.resolve(runInherited(io, process.execPath, [BIN, ...args])),
    editText: (text, fileName) => {
      const dir = mkdtempSync(join(tmpdir(), 'openshell-edit-'));
      const file = join(dir, basename(fileName));
      try {
        writeFileSync(file, text, { mode: 0o600 });
        const editor = env.VISUAL || env.EDITOR || 'vi';
        // Through sh, so EDITOR may carry arguments (`code -w`).
        const code = runInherited(io, 'sh', ['-c', `${editor} "$1"`, 'sh', file]);
        if (code !== 0) return Promise.reject(new Error(`${editor} exited with code ${code}; nothing was applied`));
        return Promise.resolve(readFileSync(file, 'utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
