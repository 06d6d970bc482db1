import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Captured, TuiHost } from '../../components/host.ts';
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

/** A command typed on `:` that never ends (`logs -f`) is stopped rather than left running unseen. */
const CAPTURE_TIMEOUT_MS = 120_000;

/** `openshell ARGS` with no terminal and no shell; output lines in arrival order, colours stripped. */
export function captureOpenshell(args: readonly string[], gateway: string, env: NodeJS.ProcessEnv = process.env): Promise<Captured> {
  return new Promise((resolve) => {
    const output: { text: string; stderr: boolean }[] = [];
    const partial = { out: '', err: '' };
    const push = (text: string, stream: 'out' | 'err') => output.push({ text: stripVTControlCharacters(text), stderr: stream === 'err' });
    const take = (stream: 'out' | 'err', chunk: string) => {
      const lines = (partial[stream] + chunk).split('\n');
      partial[stream] = lines.pop()!;
      for (const l of lines) push(l, stream);
    };
    const flush = (stream: 'out' | 'err') => {
      if (partial[stream] !== '') push(partial[stream], stream);
    };
    // The gateway the workbench shows, unless the typed line names one with -g.
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, OPENSHELL_GATEWAY: gateway, NO_COLOR: '1' },
      timeout: CAPTURE_TIMEOUT_MS,
    });
    child.stdout.setEncoding('utf8').on('data', (c: string) => take('out', c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => take('err', c));
    child.on('error', (err) => resolve({ code: 127, output: [...output, { text: err.message, stderr: true }] }));
    child.on('close', (code, signal) => {
      flush('out');
      flush('err');
      if (signal) output.push({ text: `stopped by ${signal} after ${CAPTURE_TIMEOUT_MS / 1000}s`, stderr: true });
      resolve({ code: code ?? 124, output });
    });
  });
}

/** The real terminal: child programs run on it with inherited stdio while the TUI is suspended. */
export function terminalHost(io: TerminalIo, env: NodeJS.ProcessEnv = process.env): TuiHost {
  return {
    openshell: (args) => Promise.resolve(runInherited(io, process.execPath, [BIN, ...args])),
    capture: (args, gateway) => captureOpenshell(args, gateway, env),
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
