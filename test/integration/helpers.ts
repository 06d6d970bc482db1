import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';

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
export async function execCapture(gw: EmbeddedGateway, name: string, cmd: string[], stdin?: Buffer): Promise<Captured> {
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
