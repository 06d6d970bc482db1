import { createInterface } from 'node:readline/promises';
import { UsageError } from '../core/errors.ts';

/** Asks a yes/no question on the terminal; without a terminal the answer must be given by a flag. */
export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError('refusing to ask for confirmation without a terminal', 'pass --yes');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
