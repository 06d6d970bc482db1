import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { OutputTail } from './failure.ts';

export interface RunOptions {
  readonly onLine?: (line: string) => void;
  readonly tail: OutputTail;
}

/** Runs a host tool, streaming its stdout and stderr line by line; rejects on a non-zero exit. */
export function runTool(command: string, args: readonly string[], opts: RunOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const onLine = (line: string): void => {
      opts.tail.push(line);
      opts.onLine?.(line);
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${signal ?? `code ${code}`}`));
    });
  });
}
