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

/**
 * Attaches this terminal to the sandbox's main process; Ctrl-P Ctrl-Q detaches and leaves it running.
 * Returns the exit code to propagate: 0 on detach, else the main process's own.
 */
export async function runConnect(gateway: Gateway, name: string): Promise<number> {
  const raw = process.stdin.isTTY;
  if (raw) {
    process.stdin.setRawMode(true);
    process.stderr.write(`attached to ${name}; detach with Ctrl-P Ctrl-Q\r\n`);
  }
  try {
    const result = await gateway.attach(name, {
      stdin: process.stdin,
      stdout: process.stdout,
      detachKeys: 'ctrl-p,ctrl-q',
      ...terminalSize(),
    });
    if (result.detached) {
      process.stderr.write(`\r\ndetached from ${name}; it keeps running (\`openshell sandbox connect ${name}\` to come back)\r\n`);
      return 0;
    }
    return result.exitCode;
  } finally {
    if (raw) process.stdin.setRawMode(false);
    process.stdin.destroy();
  }
}
