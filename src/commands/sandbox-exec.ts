import type { Gateway } from '../../core/gateway/types.ts';

interface ExecFlags {
  tty?: boolean;
  env?: Record<string, string>;
  workdir?: string;
}

/** Runs CMD with this process's stdin/stdout/stderr; returns the exit code to propagate. */
export async function runExec(gateway: Gateway, name: string, cmd: string[], o: ExecFlags): Promise<number> {
  const tty = o.tty ?? false;
  const raw = tty && process.stdin.isTTY;
  if (raw) process.stdin.setRawMode(true);
  try {
    return await gateway.exec(name, {
      cmd,
      tty,
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      ...(o.env ? { env: o.env } : {}),
      ...(o.workdir ? { workdir: o.workdir } : {}),
      ...(tty ? terminalSize() : {}),
    });
  } finally {
    if (raw) process.stdin.setRawMode(false);
    process.stdin.destroy();
  }
}

function terminalSize(): { size: { rows: number; cols: number }; onResize: (r: (s: { rows: number; cols: number }) => void) => void } {
  const size = { rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 };
  return {
    size,
    onResize: (resize) => {
      process.stdout.on('resize', () => resize({ rows: process.stdout.rows, cols: process.stdout.columns }));
    },
  };
}

/** Interactive login shell in a PTY; Ctrl-P Ctrl-Q detaches and leaves it running. */
export async function runConnect(gateway: Gateway, name: string): Promise<number> {
  const shell = ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'];
  const raw = process.stdin.isTTY;
  if (raw) process.stdin.setRawMode(true);
  try {
    return await gateway.exec(name, {
      cmd: shell,
      tty: true,
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      detachKeys: 'ctrl-p,ctrl-q',
      ...terminalSize(),
    });
  } finally {
    if (raw) process.stdin.setRawMode(false);
    process.stdin.destroy();
  }
}
