import { randomBytes } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import type { Gateway } from '../../core/gateway/types.ts';
import { dockerClient } from '../../core/docker/client.ts';
import { EGRESS_NETWORK } from '../../core/docker/labels.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/openshell`;

/** A sandbox name unique to this run, so parallel or leftover runs never collide. */
export const uniqueName = (prefix: string): string => `it-${prefix}-${randomBytes(3).toString('hex')}`;

export function gateway(): EmbeddedGateway {
  return new EmbeddedGateway('local');
}

export interface Captured {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs a command in a sandbox through the Gateway interface, capturing both streams byte-exact. */
export async function execCapture(gw: Gateway, name: string, cmd: string[], stdin?: Buffer): Promise<Captured> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const code = await gw.exec(name, {
    cmd,
    stdout,
    stderr,
    ...(stdin === undefined ? {} : { stdin: Readable.from([stdin]) }),
  });
  return { code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() };
}

/** Runs the real CLI as a user would. */
export function cli(args: string[], opts: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: { ...process.env, ...opts.env }, stdio: 'pipe' });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(opts.input);
  });
}

export type Step = ['send', string] | ['expect', string] | ['resize', number, number] | ['sleep', number] | ['run', string[]];

/** `openshell ARGS` in a real pseudo-terminal (test/fixtures/pty-drive.py), typing and reading as a person would. */
export function inTerminal(args: string[], steps: Step[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const driver = `${ROOT}test/fixtures/pty-drive.py`;
    const opts = { env: { ...process.env, ...env }, maxBuffer: 64 << 20 };
    execFile('python3', [driver, JSON.stringify(steps), BIN, ...args], opts, (err, stdout) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout });
    });
  });
}

/**
 * A real HTTP server (python's http.server on 8080, as uid 1000) in a container on the egress network;
 * returns its address once it listens. Remove it with `docker rm -f NAME` (or `removeUpstream`).
 */
export async function startUpstream(name: string): Promise<string> {
  const docker = dockerClient();
  const images = await docker.listImages({ filters: { reference: ['openshell/sandbox:latest'] } });
  const c = await docker.createContainer({
    name,
    Image: images[0]!.Id,
    User: '1000',
    Cmd: ['python3', '-m', 'http.server', '8080'],
    HostConfig: { NetworkMode: EGRESS_NETWORK },
  });
  await c.start();
  const ip = (await c.inspect()).NetworkSettings.Networks[EGRESS_NETWORK]!.IPAddress;
  // Until python listens, a first request would fail for the wrong reason.
  for (let i = 0; i < 50; i++) {
    const probe = await c.exec({ Cmd: ['python3', '-c', 'import socket; socket.create_connection(("127.0.0.1", 8080))'] });
    (await probe.start({})).resume();
    await new Promise((r) => setTimeout(r, 100));
    if ((await probe.inspect()).ExitCode === 0) break;
  }
  return ip;
}

export async function removeUpstream(name: string): Promise<void> {
  await dockerClient().getContainer(name).remove({ force: true }).catch(() => undefined);
}
