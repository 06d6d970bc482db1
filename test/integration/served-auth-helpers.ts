// Shared by the served-gateway sign-in tests: a real `openshell gateway serve` and a CLI run that waits on a human.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './helpers.ts';

export interface Served {
  readonly url: string;
  readonly fingerprint: string;
  readonly stateDir: string;
  readonly operatorKey: () => string;
  stop(): Promise<void>;
}

/** `openshell gateway serve --listen 127.0.0.1:0` with its own state dir; resolves once it printed its URL. */
export async function startServe(stateDir: string): Promise<Served> {
  const child: ChildProcessWithoutNullStreams = spawn(BIN, ['gateway', 'serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir, '-o', 'json'], { stdio: 'pipe' });
  child.stdin.end();
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    void closed.then(() => reject(new Error(`gateway serve exited:\n${err}`)));
  });
  const { url, fingerprint } = JSON.parse(first) as { url: string; fingerprint: string };
  return {
    url,
    fingerprint,
    stateDir,
    operatorKey: () => readFileSync(join(stateDir, 'auth', 'operator.key'), 'utf8').trim(),
    stop: async () => {
      child.kill('SIGTERM');
      await closed;
    },
  };
}

/** Starts the CLI; `matched` resolves once its stderr matches (it waits for a browser or an operator meanwhile). */
export function startCli(args: string[], env: NodeJS.ProcessEnv, waitFor: RegExp) {
  const child = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
  let stderr = '';
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = waitFor.exec(stderr);
      if (m) resolve(m);
    });
    void exited.then(() => reject(new Error(`exited before ${String(waitFor)}:\n${stderr}`)));
  });
  matched.catch(() => undefined);
  child.stdin.end();
  return { matched, exited, stderr: () => stderr };
}
