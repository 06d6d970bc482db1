import { ImageError } from '../../errors.ts';
import type { BuildStep } from './types.ts';

/** Keeps the last lines a tool printed, for the error a user sees when it fails. */
export class OutputTail {
  readonly #lines: string[] = [];
  constructor(readonly max = 25) {}

  push(line: string): void {
    const trimmed = line.trimEnd();
    if (trimmed === '') return;
    this.#lines.push(trimmed);
    if (this.#lines.length > this.max) this.#lines.shift();
  }

  get lines(): readonly string[] {
    return this.#lines;
  }
}

/** A failed image build: which step, and what the tool said last. */
export class ImageBuildError extends ImageError {
  readonly step: BuildStep;
  readonly output: readonly string[];

  constructor(step: BuildStep, message: string, output: readonly string[], opts: { cause?: unknown; hint?: string } = {}) {
    const tail = output.length > 0 ? `\n  last output:\n${output.map((l) => `    ${l}`).join('\n')}` : '';
    super(`image build failed at ${step}: ${message}${tail}`, opts);
    this.step = step;
    this.output = [...output];
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
