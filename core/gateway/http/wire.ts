// What travels between `gateway serve` and HttpGateway besides plain JSON results: errors and stream frames.
import * as errors from '../../errors.ts';
import { OpenshellError, UsageError } from '../../errors.ts';

/** An error as JSON: enough to rebuild the same class, so the CLI prints the same message and exits the same way. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly hint?: string;
  readonly exitCode?: number;
}

export function toWire(err: unknown): WireError {
  if (err instanceof OpenshellError) {
    return { name: err.name, message: err.message, exitCode: err.exitCode, ...(err.hint === undefined ? {} : { hint: err.hint }) };
  }
  if (err instanceof Error) return { name: 'Error', message: err.message };
  return { name: 'Error', message: String(err) };
}

type ErrorClass = new (message: string, opts?: { exitCode?: number; hint?: string }) => OpenshellError;

/** Every typed error class of core/errors.ts by name (new ones are picked up without a change here). */
const CLASSES: ReadonlyMap<string, ErrorClass> = new Map(
  (Object.values(errors) as unknown[])
    .filter((v): v is ErrorClass => typeof v === 'function' && (v === OpenshellError || v.prototype instanceof OpenshellError))
    .map((c) => [c.name, c]),
);

/** The same class again; a subclass declared elsewhere (e.g. an SSH refusal) becomes an OpenshellError of that name. */
export function fromWire(w: WireError): Error {
  const hint = typeof w.hint === 'string' ? w.hint : undefined;
  const Class = CLASSES.get(w.name);
  if (Class === undefined && w.exitCode === undefined) return new Error(w.message);
  let err: OpenshellError;
  if (Class === UsageError) err = new UsageError(w.message, hint);
  else err = new (Class ?? OpenshellError)(w.message, { ...(w.exitCode === undefined ? {} : { exitCode: w.exitCode }), ...(hint === undefined ? {} : { hint }) });
  if (Class === undefined) err.name = w.name;
  if (w.exitCode !== undefined) Object.assign(err, { exitCode: w.exitCode });
  return err;
}

/** HTTP status for an error answer (the body carries the real class; this is for curl users and logs). */
export function statusOf(err: unknown): number {
  if (err instanceof errors.NotFoundError) return 404;
  if (err instanceof UsageError) return 400;
  if (err instanceof errors.PolicyError) return 422;
  if (err instanceof errors.DockerUnavailableError) return 503;
  return 500;
}

export function isWireError(v: unknown): v is WireError {
  return typeof v === 'object' && v !== null && typeof (v as WireError).name === 'string' && typeof (v as WireError).message === 'string';
}

/** Binary stream frames: one byte of channel, then the bytes. Control messages go as JSON text frames. */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2 } as const;

export function frame(channel: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), data]);
}

/** Control messages of exec/attach/traffic/events sockets. */
export type Control =
  | { readonly type: 'resize'; readonly rows: number; readonly cols: number }
  | { readonly type: 'eof' }
  | { readonly type: 'exit'; readonly code: number }
  | { readonly type: 'attached'; readonly result: { detached: true } | { detached: false; exitCode: number } }
  | { readonly type: 'error'; readonly error: WireError }
  | { readonly type: 'end'; readonly error?: WireError }
  | { readonly type: 'event'; readonly name: string; readonly payload: unknown; readonly seq?: number }
  | { readonly type: 'hello'; readonly boot: string; readonly seq: number };

export function parseControl(text: string): Control | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string' ? (v as Control) : undefined;
  } catch {
    return undefined;
  }
}
