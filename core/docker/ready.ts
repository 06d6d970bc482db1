import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { SandboxError } from '../errors.ts';

interface SupervisorLine {
  readonly type?: string;
  readonly time?: string;
  readonly message?: string;
}

/**
 * Waits for the supervisor's `ready` line from its current run (its time is after the container's
 * StartedAt), or fails with the supervisor's own last words if it exits first.
 */
export async function waitSupervisorReady(docker: Docker, container: Docker.Container, timeoutMs = 30_000): Promise<void> {
  const info = await container.inspect();
  const startedAt = Date.parse(info.State.StartedAt);
  const stream = (await container.logs({
    follow: true,
    stdout: true,
    stderr: true,
    since: Math.floor(startedAt / 1000),
  })) as NodeJS.ReadableStream & { destroy?: () => void };
  const out = new PassThrough();
  docker.modem.demuxStream(stream, out, out);
  stream.on('end', () => out.end());
  const lines = createInterface({ input: out });
  const last: string[] = [];
  const timer = setTimeout(() => lines.close(), timeoutMs);
  try {
    for await (const line of lines) {
      last.push(line);
      if (last.length > 5) last.shift();
      let parsed: SupervisorLine;
      try {
        parsed = JSON.parse(line) as SupervisorLine;
      } catch {
        continue;
      }
      if (parsed.time && Date.parse(parsed.time) < startedAt - 1) continue;
      if (parsed.type === 'ready') return;
      if (parsed.type === 'fatal') throw new SandboxError(`supervisor failed to start: ${parsed.message ?? 'unknown error'}`);
    }
  } finally {
    clearTimeout(timer);
    stream.destroy?.();
  }
  throw new SandboxError(
    `supervisor did not become ready within ${timeoutMs / 1000}s${last.length ? `; last output: ${last.join(' | ')}` : ''}`,
  );
}
