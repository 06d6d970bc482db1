import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { sendDeny } from './deny.ts';
import { MAX_CONNECT_HEAD } from './head.ts';

/**
 * The proxy's front: a new connection's first bytes are looked at before Node's HTTP server sees them.
 * A plain, complete CONNECT head (what curl, git, pip and every HTTPS client send) goes straight to the
 * tunnel; anything else, including every CONNECT this strict reading does not accept, is handed to the
 * HTTP server as if it had never been read, and is judged there exactly as before. Measured, the HTTP
 * server's request machinery (parser, IncomingMessage, connection tracking) cost 20–30 µs of CPU per
 * new tunnel, about 5% of the proxy's CPU per connection.
 */

export interface FastConnect {
  /** `host:port` as sent: still checked by `parseConnectTarget`. */
  readonly target: string;
  /** Bytes after the head (a TLS ClientHello sent without waiting): the tunnel's first bytes. */
  readonly head: Buffer;
  readonly headBytes: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^CONNECT ((?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}) HTTP\/1\.1$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t -~]*$/;
/** Framing headers make no sense on CONNECT: such a head goes to the HTTP server's parser to be judged. */
const FRAMING = new Set(['content-length', 'transfer-encoding']);

/**
 * A complete CONNECT head in `chunk` made only of printable ASCII (and tabs in values), CRLF line ends,
 * an authority-form target and well-formed header lines; null for anything else.
 */
export function parseFastConnect(chunk: Buffer): FastConnect | null {
  const end = chunk.indexOf(CRLFCRLF);
  if (end < 0 || end + 4 > MAX_CONNECT_HEAD) return null;
  for (let i = 0; i < end; i++) {
    const c = chunk[i]!;
    if (c === 13) {
      if (chunk[i + 1] !== 10) return null;
      i++;
    } else if (c !== 9 && (c < 0x20 || c > 0x7e)) return null;
  }
  const lines = chunk.toString('latin1', 0, end).split('\r\n');
  const first = REQUEST_LINE.exec(lines[0]!);
  if (!first) return null;
  for (let i = 1; i < lines.length; i++) {
    const h = HEADER_LINE.exec(lines[i]!);
    if (!h || FRAMING.has(h[1]!.toLowerCase())) return null;
  }
  return { target: first[1]!, head: chunk.subarray(end + 4), headBytes: end + 4 };
}

/**
 * Detaches the HTTP server's own connection handler so the front can call it later; null (and the server
 * left as it was) when the server does not have exactly one.
 */
export function takeConnectionListener(server: Server): ((socket: Socket) => void) | null {
  const own = server.listeners('connection');
  if (own.length !== 1) return null;
  const listener = own[0] as (this: Server, socket: Socket) => void;
  server.removeListener('connection', listener);
  return (socket) => listener.call(server, socket);
}

/**
 * Waits for each new connection's first bytes, then hands the connection on: `fast` for a CONNECT head
 * `parseFastConnect` accepts, else the bytes are put back and `http` gets the connection. A client that
 * sends nothing for `timeoutMs` gets a 408, as the HTTP server would give it (one timer for all).
 */
export class ConnectFront {
  /** Connections without their first bytes yet: the deadline, and what stops the wait. */
  private readonly waiting = new Map<Socket, { readonly at: number; readonly stop: () => void }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly http: (socket: Socket) => void,
    private readonly fast: (socket: Socket, req: FastConnect) => void,
    private readonly timeoutMs: number,
  ) {}

  accept(socket: Socket): void {
    const done = (): void => {
      this.waiting.delete(socket);
      socket.off('readable', onReadable);
      socket.off('end', gone);
      socket.off('error', gone);
    };
    // Before the first bytes, nobody else listens: an error or an end closes the connection.
    const gone = (): void => {
      done();
      socket.destroy();
    };
    const onReadable = (): void => {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) return;
      done();
      const req = parseFastConnect(chunk);
      if (req) return this.fast(socket, req);
      socket.unshift(chunk);
      this.http(socket);
      // The HTTP server reads through its own listener; what was put back flows to it first.
      socket.resume();
    };
    socket.on('readable', onReadable);
    socket.once('end', gone);
    socket.once('error', gone);
    this.waiting.set(socket, { at: performance.now() + this.timeoutMs, stop: done });
    this.timer ??= setInterval(() => this.sweep(), Math.min(1000, this.timeoutMs)).unref();
  }

  private sweep(): void {
    const now = performance.now();
    for (const [socket, w] of this.waiting) {
      if (w.at > now) continue;
      w.stop();
      socket.on('error', () => socket.destroy());
      sendDeny(socket, 408, { error: 'bad_request', detail: `no request within ${this.timeoutMs / 1000}s` });
    }
    if (this.waiting.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
