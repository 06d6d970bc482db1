import { createServer, type Server, type Socket } from 'node:net';
import { sendDeny } from './deny.ts';

export interface ProxyRequest {
  readonly method: string;
  readonly target: string;
  readonly host: string;
  readonly port: number;
}

export type ProxyHandler = (req: ProxyRequest, socket: Socket, head: Buffer) => void;

const MAX_HEAD = 8 * 1024;

/** Parses the request line of a proxy request: CONNECT host:port or absolute-form http://host/…. */
export function parseRequestLine(line: string): ProxyRequest | { error: string } {
  const [method, target] = line.split(' ');
  if (!method || !target) return { error: 'malformed request line' };
  if (method === 'CONNECT') {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target);
    if (!m) return { error: `CONNECT target must be host:port, got ${target}` };
    return { method, target, host: m[1]!.toLowerCase(), port: Number(m[2]) };
  }
  if (/^https:\/\//i.test(target)) return { error: 'Use CONNECT for HTTPS URLs' };
  try {
    const url = new URL(target);
    if (url.protocol !== 'http:') return { error: `unsupported proxy target ${target}` };
    return { method, target, host: url.hostname.toLowerCase(), port: Number(url.port || 80) };
  } catch {
    return { error: 'proxy requests must use absolute-form http:// URLs or CONNECT' };
  }
}

/** Reads the request head, then hands the socket to the handler (one request per connection for now). */
export function startProxy(listen: { host: string; port: number }, handler: ProxyHandler): Promise<Server> {
  const server = createServer({ noDelay: true }, (socket) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD) {
          socket.off('data', onData);
          sendDeny(socket, 431, { error: 'headers_too_large', detail: 'request headers exceed 8 KiB' });
        }
        return;
      }
      socket.off('data', onData);
      const line = buf.subarray(0, buf.indexOf('\r\n')).toString('latin1');
      const parsed = parseRequestLine(line);
      if ('error' in parsed) {
        sendDeny(socket, 400, { error: 'bad_request', detail: parsed.error });
        return;
      }
      handler(parsed, socket, buf);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}
