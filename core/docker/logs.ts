import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type { LogOptions } from '../gateway/types.ts';
import { containerName } from './labels.ts';

/** Streams the agent's and/or supervisor's output, each line prefixed with its source when both are shown. */
export async function streamLogs(docker: Docker, name: string, opts: LogOptions): Promise<void> {
  const source = opts.source ?? 'all';
  const roles = source === 'all' ? (['supervisor', 'agent'] as const) : ([source] as const);
  await Promise.all(
    roles.map(async (role) => {
      const container = docker.getContainer(containerName(name, role));
      const raw = (await container.logs({
        follow: (opts.follow ?? false) as true,
        stdout: true,
        stderr: true,
        ...(opts.tail === undefined ? {} : { tail: opts.tail }),
      })) as NodeJS.ReadableStream & { destroy?: () => void };
      const out = new PassThrough();
      if (Buffer.isBuffer(raw)) {
        const src = new PassThrough();
        docker.modem.demuxStream(src, out, out);
        src.end(raw);
        src.on('end', () => out.end());
      } else {
        docker.modem.demuxStream(raw, out, out);
        raw.on('end', () => out.end());
        opts.signal?.addEventListener('abort', () => {
          raw.destroy?.();
          out.end();
        });
      }
      const prefix = source === 'all' ? `[${role}] ` : '';
      for await (const line of createInterface({ input: out })) opts.stdout.write(prefix + line + '\n');
    }),
  );
}
