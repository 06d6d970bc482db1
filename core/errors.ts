/** Typed errors: each carries an exit code and a one-line message a user can act on. */
export class OpenshellError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? 1;
    this.hint = opts.hint;
  }
}

/** Bad flags or arguments from the user. */
export class UsageError extends OpenshellError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, ...(hint === undefined ? {} : { hint }) });
  }
}
export class ConfigError extends OpenshellError {}
export class PolicyError extends OpenshellError {}
export class SandboxError extends OpenshellError {}
export class NotFoundError extends OpenshellError {}
export class DockerUnavailableError extends OpenshellError {}
export class ImageError extends OpenshellError {}
export class RemoteError extends OpenshellError {}

/** One friendly line (plus an optional hint) for any thrown value. */
export function friendlyMessage(err: unknown): string {
  if (err instanceof OpenshellError) return err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
