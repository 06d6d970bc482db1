import type Docker from 'dockerode';
import type { ExecOptions } from '../gateway/types.ts';

/**
 * Runs a command in a container with stdin piped and stdout/stderr byte-exact (demultiplexed unless
 * tty). Resolves with the command's exit code (128+n when a signal ended it).
 */
export async function execIn(docker: Docker, container: Docker.Container, opts: ExecOptions): Promise<number> {
  const tty = opts.tty ?? false;
  const exec = await container.exec({
    Cmd: [...opts.cmd],
    AttachStdin: opts.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: tty,
    ...(opts.env ? { Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) } : {}),
    ...(opts.workdir ? { WorkingDir: opts.workdir } : {}),
    ...(opts.detachKeys ? { DetachKeys: opts.detachKeys } : {}),
  });
  const stream = (await exec.start({ hijack: true, stdin: opts.stdin !== undefined, Tty: tty }));
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  if (tty) stream.pipe(opts.stdout, { end: false });
  else docker.modem.demuxStream(stream, opts.stdout, opts.stderr);
  if (opts.size) await exec.resize({ h: opts.size.rows, w: opts.size.cols }).catch(() => undefined);
  opts.onResize?.((size) => void exec.resize({ h: size.rows, w: size.cols }).catch(() => undefined));
  if (opts.stdin) {
    const stdin = opts.stdin;
    stdin.on('data', (chunk: Buffer) => {
      if (!stream.write(chunk)) {
        stdin.pause();
        stream.once('drain', () => stdin.resume());
      }
    });
    // Half-close: the command sees EOF on its stdin and can still answer.
    stdin.once('end', () => stream.end());
  }
  await finished;
  if (opts.stdin) opts.stdin.pause();
  const info = await exec.inspect();
  return info.ExitCode ?? (info.Running ? 0 : 1);
}
