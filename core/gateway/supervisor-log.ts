import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { containerName } from '../docker/labels.ts';

/** One JSON line of the supervisor's stdout (the contract with core/supervisor). */
export interface SupervisorRecord {
  readonly type?: unknown;
  readonly [key: string]: unknown;
}

export interface FollowOptions {
  readonly follow: boolean;
  /** Unix milliseconds; Docker filters by whole seconds, so callers still check what they need. */
  readonly sinceMs?: number;
  readonly signal?: AbortSignal;
}

/** Parses a line into a record, or null for plain text (the supervisor's boot script, stack traces). */
export function parseRecord(line: string): SupervisorRecord | null {
  if (!line.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as SupervisorRecord) : null;
  } catch {
    return null;
  }
}

/**
 * Streams the supervisor's JSON records to `onRecord` until the log ends (not following), the
 * container stops, or `signal` aborts. The returned promise resolves once the stream is open, and
 * its `done` when it has ended, so a caller can act after it is listening and never miss a line.
 */
export async function followSupervisor(
  docker: Docker,
  sandbox: string,
  opts: FollowOptions,
  onRecord: (r: SupervisorRecord) => void,
): Promise<{ done: Promise<void> }> {
  const container = docker.getContainer(containerName(sandbox, 'supervisor'));
  const since = opts.sinceMs === undefined ? {} : { since: Math.max(0, Math.floor(opts.sinceMs / 1000)) };
  const out = new PassThrough();
  if (!opts.follow) {
    const buf = await container.logs({ follow: false, stdout: true, stderr: false, ...since });
    const src = new PassThrough();
    docker.modem.demuxStream(src, out, new PassThrough().resume());
    src.on('end', () => out.end());
    src.end(buf);
  } else {
    const raw = (await container.logs({ follow: true, stdout: true, stderr: false, ...since })) as NodeJS.ReadableStream & {
      destroy?: () => void;
    };
    docker.modem.demuxStream(raw, out, new PassThrough().resume());
    raw.on('end', () => out.end());
    raw.on('error', () => out.end());
    const stop = (): void => {
      raw.destroy?.();
      out.end();
    };
    if (opts.signal?.aborted) stop();
    opts.signal?.addEventListener('abort', stop, { once: true });
  }
  const done = (async () => {
    for await (const line of createInterface({ input: out, crlfDelay: Infinity })) {
      const r = parseRecord(line);
      if (r) onRecord(r);
    }
  })();
  return { done };
}
