// Client side of the streaming methods: exec/attach over a WebSocket, logs as a streamed body, files as tar.
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-fs';
import type { RawData } from 'ws';
import { NotFoundError, RemoteError } from '../../errors.ts';
import type { AttachOptions, AttachResult, ExecOptions, LogOptions } from '../types.ts';
import { insideOnly, TAR_TYPE } from './files.ts';
import type { StreamStart } from './streams.ts';
import type { Endpoint } from './transport.ts';
import { CHANNEL, frame, fromWire, parseControl, type Control } from './wire.ts';

const HIGH_WATER = 1 << 20;

interface Pumped {
  readonly stdin?: Readable | undefined;
  readonly stdout: Writable;
  readonly stderr?: Writable | undefined;
  readonly onResize?: ((resize: (size: { rows: number; cols: number }) => void) => void) | undefined;
}

/** Runs one exec/attach socket: sends the start message and stdin, writes output, settles on the result. */
async function pump<T>(ep: Endpoint, start: StreamStart, io: Pumped, result: (c: Control) => T | undefined): Promise<T> {
  const ws = await ep.socket('/api/v1/stream');
  const control = (c: Control): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(c));
  };
  ws.send(JSON.stringify(start));
  io.onResize?.((size) => control({ type: 'resize', rows: size.rows, cols: size.cols }));
  const stdin = io.stdin;
  const onData = (chunk: Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(frame(CHANNEL.stdin, chunk), () => {
      if (stdin?.isPaused() && ws.bufferedAmount < HIGH_WATER / 4) stdin.resume();
    });
    // Big inputs wait for the socket instead of piling up in memory.
    if (ws.bufferedAmount > HIGH_WATER) stdin?.pause();
  };
  const onEnd = (): void => control({ type: 'eof' });
  if (stdin && start.stdin) {
    stdin.on('data', onData);
    stdin.once('end', onEnd);
  }
  try {
    return await new Promise<T>((resolvePromise, reject) => {
      let settled = false;
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const buf = data as Buffer;
        if (isBinary) {
          const out = buf[0] === CHANNEL.stderr ? (io.stderr ?? io.stdout) : io.stdout;
          if (!out.write(buf.subarray(1))) {
            ws.pause();
            out.once('drain', () => ws.resume());
          }
          return;
        }
        const c = parseControl(buf.toString());
        if (c?.type === 'error') {
          settled = true;
          reject(fromWire(c.error));
          return;
        }
        const r = c && result(c);
        if (r !== undefined) {
          settled = true;
          resolvePromise(r);
        }
      });
      ws.on('close', () => {
        if (settled) return;
        reject(
          new RemoteError(`the connection to gateway ${ep.name} was lost during ${start.type} in \`${start.name}\``, {
            exitCode: 3,
            hint: start.type === 'exec' ? 'the command may still be running there' : 'the sandbox keeps running; connect again when the gateway is back',
          }),
        );
      });
      ws.on('error', () => undefined);
    });
  } finally {
    stdin?.off('data', onData);
    stdin?.off('end', onEnd);
    stdin?.pause();
    if (ws.readyState === ws.OPEN) ws.close(1000);
  }
}

export function execRemote(ep: Endpoint, name: string, opts: ExecOptions): Promise<number> {
  const start: StreamStart = {
    type: 'exec',
    name,
    cmd: opts.cmd,
    tty: opts.tty ?? false,
    stdin: opts.stdin !== undefined,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.workdir ? { workdir: opts.workdir } : {}),
    ...(opts.detachKeys ? { detachKeys: opts.detachKeys } : {}),
    ...(opts.size ? { size: opts.size } : {}),
  };
  return pump(ep, start, opts, (c) => (c.type === 'exit' ? c.code : undefined));
}

export function attachRemote(ep: Endpoint, name: string, opts: AttachOptions): Promise<AttachResult> {
  const start: StreamStart = {
    type: 'attach',
    name,
    stdin: opts.stdin !== undefined,
    ...(opts.detachKeys ? { detachKeys: opts.detachKeys } : {}),
    ...(opts.size ? { size: opts.size } : {}),
  };
  return pump(ep, start, opts, (c) => (c.type === 'attached' ? c.result : undefined));
}

export async function logsRemote(ep: Endpoint, name: string, opts: LogOptions): Promise<void> {
  const body = { name, follow: opts.follow ?? false, source: opts.source ?? 'all', ...(opts.tail === undefined ? {} : { tail: opts.tail }) };
  let res;
  try {
    res = await ep.send('POST', ep.url('/api/v1/logs'), { json: body }, opts.signal);
  } catch (err) {
    if (opts.signal?.aborted) return;
    throw err;
  }
  await new Promise<void>((resolvePromise, reject) => {
    res.on('data', (c: Buffer) => {
      if (!opts.stdout.write(c)) {
        res.pause();
        opts.stdout.once('drain', () => res.resume());
      }
    });
    res.on('end', resolvePromise);
    // An abort by our caller is the normal end of `logs -f`.
    res.on('error', (err) => (opts.signal?.aborted ? resolvePromise() : reject(ep.failure(err))));
    res.on('close', () => (res.complete || opts.signal?.aborted ? resolvePromise() : reject(ep.failure(new Error('the log stream ended early')))));
  });
}

export async function uploadRemote(ep: Endpoint, name: string, localPath: string, dest?: string): Promise<void> {
  const abs = resolve(localPath);
  await stat(abs).catch(() => {
    throw new NotFoundError(`no such local file or folder: ${localPath}`, { exitCode: 2 });
  });
  const entry = basename(abs);
  const archive = pack(dirname(abs), { entries: [entry] }) as unknown as Readable;
  const res = await ep.send('POST', ep.url('/api/v1/upload', { name, entry, dest }), { stream: archive, headers: { 'content-type': TAR_TYPE } });
  res.resume();
}

export async function downloadRemote(ep: Endpoint, name: string, path: string, localDest: string): Promise<void> {
  const res = await ep.send('POST', ep.url('/api/v1/download'), { json: { name, path } });
  const root = resolve(localDest);
  await pipeline(res, extract(root, { ignore: insideOnly(root), ...({ chown: false } as object) }));
}
