import type Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import type { AttachOptions, AttachResult } from '../gateway/types.ts';

/**
 * Attaches the caller's terminal to the agent's main process (its PTY), starting it if it was only
 * created. The detach keys leave it running; otherwise the result carries its exit code once it ends.
 */
export async function attachMain(container: Docker.Container, opts: AttachOptions): Promise<AttachResult> {
  const stream = (await container.attach({
    stream: true,
    stdin: true,
    stdout: true,
    stderr: true,
    hijack: true,
    detachKeys: opts.detachKeys ?? 'ctrl-p,ctrl-q',
  })) as Duplex;
  const finished = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  stream.pipe(opts.stdout, { end: false });
  // Attached before its first instruction: a process created but never started begins now.
  if ((await container.inspect()).State.Status === 'created') await container.start();
  const resize = (size: { rows: number; cols: number }): void =>
    void container.resize({ h: size.rows, w: size.cols }).catch(() => undefined);
  if (opts.size) resize(opts.size);
  opts.onResize?.(resize);
  const onData = (chunk: Buffer): void => {
    stream.write(chunk);
  };
  opts.stdin?.on('data', onData);
  await finished;
  opts.stdin?.off('data', onData);
  const info = await container.inspect();
  if (info.State.Running) return { detached: true };
  return { detached: false, exitCode: info.State.ExitCode };
}
