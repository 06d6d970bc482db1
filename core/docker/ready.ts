import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { SandboxError } from '../errors.ts';

interface SupervisorLine {
  readonly type?: string;
  readonly time?: string;
  readonly message?: string;
}

export interface SupervisorBoot {
  /** The fence is installed: the agent may start. */
  readonly fenced: Promise<void>;
  /** The proxy listens. */
  readonly ready: Promise<void>;
}

/**
 * Follows the supervisor's output from the run started at `startedAt` (this host's clock, taken just
 * before the start call; earlier runs' lines are stamped before it) and resolves `fenced` and `ready`
 * as their lines appear; both fail with the supervisor's own last words if it exits or stays silent.
 */
export async function watchSupervisorBoot(
  docker: Docker,
  container: Docker.Container,
  startedAt: number,
  timeoutMs = 30_000,
): Promise<SupervisorBoot> {
  const stream = (await container.logs({
    follow: true,
    stdout: true,
    stderr: true,
    since: Math.floor(startedAt / 1000),
  })) as NodeJS.ReadableStream & { destroy?: () => void };
  const out = new PassThrough();
  docker.modem.demuxStream(stream, out, out);
  stream.on('end', () => out.end());
  const waiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const promiseFor = (type: string): Promise<void> =>
    new Promise<void>((resolve, reject) => waiters.set(type, { resolve, reject }));
  const boot = { fenced: promiseFor('fence'), ready: promiseFor('ready') };
  // Callers may await only one of them; the other's failure must not be unhandled.
  boot.fenced.catch(() => undefined);
  boot.ready.catch(() => undefined);
  const last: string[] = [];
  const fail = (err: Error): void => {
    for (const w of waiters.values()) w.reject(err);
    waiters.clear();
  };
  const timer = setTimeout(() => out.end(), timeoutMs);
  void (async () => {
    for await (const line of createInterface({ input: out })) {
      last.push(line);
      if (last.length > 5) last.shift();
      let parsed: SupervisorLine;
      try {
        parsed = JSON.parse(line) as SupervisorLine;
      } catch {
        continue;
      }
      if (!parsed.time || Date.parse(parsed.time) < startedAt) continue;
      if (parsed.type === 'fatal') {
        fail(new SandboxError(`supervisor failed to start: ${parsed.message ?? 'unknown error'}`));
        break;
      }
      const w = parsed.type === undefined ? undefined : waiters.get(parsed.type);
      if (w) {
        w.resolve();
        waiters.delete(parsed.type!);
      }
      if (waiters.size === 0) break;
    }
    clearTimeout(timer);
    stream.destroy?.();
    const tail = last.length ? `; last output: ${last.join(' | ')}` : '';
    fail(new SandboxError(`supervisor did not become ready within ${timeoutMs / 1000}s${tail}`));
  })();
  return boot;
}

/** Waits until the supervisor's proxy is ready (used when restarting a pod). */
export async function waitSupervisorReady(docker: Docker, container: Docker.Container, startedAt: number): Promise<void> {
  const boot = await watchSupervisorBoot(docker, container, startedAt);
  await boot.ready;
}
