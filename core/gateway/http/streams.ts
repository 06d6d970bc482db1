// Server side of `exec` and `attach`: one WebSocket each, stdin/stdout/stderr as binary frames, resize/eof/exit as JSON.
import { PassThrough, Writable } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { UsageError } from '../../errors.ts';
import type { AttachOptions, ExecOptions, Gateway } from '../types.ts';
import { CHANNEL, frame, parseControl, toWire, type Control } from './wire.ts';

/** The first message of an exec or attach socket. */
export interface StreamStart {
  readonly type: 'exec' | 'attach';
  readonly name: string;
  readonly cmd?: readonly string[];
  readonly tty?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  readonly workdir?: string;
  readonly detachKeys?: string;
  readonly size?: { readonly rows: number; readonly cols: number };
  /** Whether the client has a stdin to send (without one, the command's stdin is not attached at all). */
  readonly stdin: boolean;
}

const DEFAULT_DETACH = 'ctrl-p,ctrl-q';

/** `ctrl-p,ctrl-q` → the bytes Docker watches for, so a vanished client can be detached cleanly. */
export function detachBytes(keys: string): Buffer {
  const bytes = keys.split(',').map((k) => {
    const m = /^ctrl-(.)$/i.exec(k.trim());
    if (m) return m[1]!.toLowerCase().charCodeAt(0) & 0x1f;
    return k.trim().charCodeAt(0);
  });
  return Buffer.from(bytes);
}

const send = (ws: WebSocket, c: Control): void => {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(c));
};

/** A Writable that becomes frames on the socket; once the client is gone, output is dropped. */
function channelOut(ws: WebSocket, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (ws.readyState !== ws.OPEN) return cb();
      // The callback waits for the socket to take the bytes: a slow client slows the command, not our memory.
      ws.send(frame(channel, chunk), () => cb());
    },
  });
}

function parseStart(data: RawData): StreamStart {
  const c = parseControl((data as Buffer).toString()) as unknown as Partial<StreamStart> | undefined;
  if (!c || (c.type !== 'exec' && c.type !== 'attach') || typeof c.name !== 'string') throw new UsageError('bad stream start message');
  if (c.type === 'exec' && (!Array.isArray(c.cmd) || c.cmd.length === 0 || !c.cmd.every((a) => typeof a === 'string'))) {
    throw new UsageError('exec needs a command');
  }
  return c as StreamStart;
}

/** Serves one exec or attach socket until the process ends (or the client leaves). */
export function serveStream(gateway: Gateway, ws: WebSocket): void {
  ws.once('message', (data: RawData) => {
    let start: StreamStart;
    try {
      start = parseStart(data);
    } catch (err) {
      send(ws, { type: 'error', error: toWire(err) });
      ws.close(1000);
      return;
    }
    run(gateway, ws, start);
  });
}

function run(gateway: Gateway, ws: WebSocket, start: StreamStart): void {
  const stdin = start.stdin ? new PassThrough() : undefined;
  let resize: ((s: { rows: number; cols: number }) => void) | undefined;
  let ended = false;
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const buf = data as Buffer;
    if (isBinary) {
      if (buf[0] === CHANNEL.stdin && stdin && !stdin.writableEnded && !stdin.write(buf.subarray(1))) {
        ws.pause();
        stdin.once('drain', () => ws.resume());
      }
      return;
    }
    const c = parseControl(buf.toString());
    if (c?.type === 'eof') stdin?.end();
    else if (c?.type === 'resize' && Number.isInteger(c.rows) && Number.isInteger(c.cols)) resize?.({ rows: c.rows, cols: c.cols });
  });
  ws.on('close', () => {
    if (ended || !stdin || stdin.writableEnded) return;
    // The client vanished: an attach is detached (the agent keeps running); an exec's command sees EOF.
    if (start.type === 'attach') stdin.write(detachBytes(start.detachKeys ?? DEFAULT_DETACH));
    else stdin.end();
  });
  const stdout = channelOut(ws, CHANNEL.stdout);
  const stderr = channelOut(ws, CHANNEL.stderr);
  const common = {
    stdout,
    ...(stdin ? { stdin } : {}),
    ...(start.detachKeys === undefined ? {} : { detachKeys: start.detachKeys }),
    ...(start.size === undefined ? {} : { size: start.size }),
    onResize: (r: (s: { rows: number; cols: number }) => void) => (resize = r),
  };
  const finish = async (c: Control): Promise<void> => {
    ended = true;
    // The result goes after the last output frame (the socket keeps order), then a normal close.
    await Promise.all([stdout, stderr].map((w) => new Promise((resolve) => w.end(resolve))));
    send(ws, c);
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  const done =
    start.type === 'exec'
      ? gateway
          .exec(start.name, {
            ...common,
            cmd: start.cmd!,
            stderr,
            tty: start.tty ?? false,
            ...(start.env === undefined ? {} : { env: start.env }),
            ...(start.workdir === undefined ? {} : { workdir: start.workdir }),
          } satisfies ExecOptions)
          .then((code): Control => ({ type: 'exit', code }))
      : gateway.attach(start.name, common satisfies AttachOptions).then((result): Control => ({ type: 'attached', result }));
  void done.then(finish, (err: unknown) => finish({ type: 'error', error: toWire(err) }));
}
