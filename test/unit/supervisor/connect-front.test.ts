import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { ConnectFront, parseFastConnect, takeConnectionListener, type FastConnect } from '../../../core/supervisor/connect-front.ts';

const head = (text: string): FastConnect | null => parseFastConnect(Buffer.from(text, 'latin1'));

describe('reading a plain CONNECT head without the HTTP server', () => {
  it('takes what HTTPS clients send, with the bytes after the head', () => {
    const curl = 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nUser-Agent: curl/8.5.0\r\nProxy-Connection: Keep-Alive\r\n\r\n';
    expect(head(curl)).toEqual({ target: 'example.com:443', head: Buffer.alloc(0), headBytes: curl.length });
    const r = head('CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n\r\n\x16\x03\x01hello');
    expect(r?.target).toBe('[2001:db8::1]:8443');
    expect(r?.head.toString('latin1')).toBe('\x16\x03\x01hello');
    expect(r?.headBytes).toBe('CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n\r\n'.length);
    // A target this reading accepts is still only text: the tunnel checks it (port 0 is refused there).
    expect(head('CONNECT 10.0.0.1:0 HTTP/1.1\r\n\r\n')?.target).toBe('10.0.0.1:0');
  });

  it.each([
    ['an incomplete head', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com'],
    ['HTTP/1.0', 'CONNECT example.com:443 HTTP/1.0\r\n\r\n'],
    ['a bare LF', 'CONNECT example.com:443 HTTP/1.1\nHost: x\n\n'],
    ['a bare CR', 'CONNECT example.com:443 HTTP/1.1\r\nHost: x\ry\r\n\r\n'],
    ['a NUL byte', 'CONNECT example.com:443 HTTP/1.1\r\nX: a\0b\r\n\r\n'],
    ['a byte above ASCII', 'CONNECT example.com:443 HTTP/1.1\r\nX: caf\xe9\r\n\r\n'],
    ['a folded header', 'CONNECT example.com:443 HTTP/1.1\r\nX: a\r\n b\r\n\r\n'],
    ['a header without a name', 'CONNECT example.com:443 HTTP/1.1\r\n: x\r\n\r\n'],
    ['a space before the colon', 'CONNECT example.com:443 HTTP/1.1\r\nHost : x\r\n\r\n'],
    ['Content-Length', 'CONNECT example.com:443 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello'],
    ['Transfer-Encoding', 'CONNECT example.com:443 HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n'],
    ['a target without a port', 'CONNECT example.com HTTP/1.1\r\n\r\n'],
    ['an origin-form target', 'CONNECT / HTTP/1.1\r\n\r\n'],
    ['two spaces', 'CONNECT  example.com:443 HTTP/1.1\r\n\r\n'],
    ['another method', 'GET http://example.com/ HTTP/1.1\r\n\r\n'],
    ['a lowercase method', 'connect example.com:443 HTTP/1.1\r\n\r\n'],
    ['a head over 8 KiB', `CONNECT example.com:443 HTTP/1.1\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`],
  ])('leaves %s to the HTTP server', (_what, text) => {
    expect(head(text)).toBeNull();
  });
});

let server: Server | undefined;
afterEach(() => server?.close());

/** An HTTP server behind the front, as the proxy sets it up; records which way each request went. */
async function frontedServer(timeoutMs = 15_000): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  server = createServer({ noDelay: true });
  const http = takeConnectionListener(server)!;
  expect(http).not.toBeNull();
  const front = new ConnectFront(
    http,
    (socket, req) => {
      seen.push(`fast ${req.target} +${req.head.length}`);
      socket.end('HTTP/1.1 200 Connection Established\r\n\r\n');
    },
    timeoutMs,
  );
  server.on('connection', (s: Socket) => front.accept(s));
  server.on('connect', (req, socket: Socket, rest: Buffer) => {
    seen.push(`http CONNECT ${req.url} +${rest.length}`);
    socket.end('HTTP/1.1 200 Connection Established\r\n\r\n');
  });
  server.on('request', (req, res) => {
    seen.push(`http ${req.method} ${req.url}`);
    res.end('ok');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen };
}

/** Sends `parts` (a pause between each) and returns everything the server answered until it closed. */
async function exchange(port: number, parts: string[], closeAfterMs = 0): Promise<string> {
  const s = connect(port, '127.0.0.1');
  const out: Buffer[] = [];
  s.on('data', (d: Buffer) => out.push(d));
  const closed = new Promise((r) => s.once('close', r));
  await new Promise((r) => s.once('connect', r));
  for (const p of parts) {
    s.write(p);
    await new Promise((r) => setTimeout(r, 30));
  }
  if (closeAfterMs > 0) setTimeout(() => s.end(), closeAfterMs);
  await closed;
  return Buffer.concat(out).toString('latin1');
}

describe('the proxy front', () => {
  it('sends a plain CONNECT to the tunnel and everything else to the HTTP server, bytes intact', async () => {
    const { port, seen } = await frontedServer();
    expect(await exchange(port, ['CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\nhello'])).toContain(' 200 ');
    expect(await exchange(port, ['CONNECT b.test:443 HTTP/1.0\r\n\r\nhi'])).toContain(' 200 ');
    // A head in two pieces: the HTTP server reads the first piece again, then the rest.
    expect(await exchange(port, ['CONNECT c.test:443 HTTP/1.1\r\nHo', 'st: c.test\r\n\r\n'])).toContain(' 200 ');
    // Keep-alive plain HTTP: two requests on one connection, both answered.
    const two = await exchange(port, ['GET http://d.test/one HTTP/1.1\r\nHost: d.test\r\n\r\n', 'GET http://d.test/two HTTP/1.1\r\nHost: d.test\r\n\r\n'], 50);
    expect(two.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(seen).toEqual([
      'fast a.test:443 +5',
      'http CONNECT b.test:443 +2',
      'http CONNECT c.test:443 +0',
      'http GET http://d.test/one',
      'http GET http://d.test/two',
    ]);
  });

  it('answers 408 to a client that sends nothing, and keeps serving', async () => {
    const { port, seen } = await frontedServer(200);
    const t0 = performance.now();
    const silent = await exchange(port, []);
    expect(silent).toMatch(/^HTTP\/1\.1 408 /);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(await exchange(port, ['CONNECT a.test:443 HTTP/1.1\r\n\r\n'])).toContain(' 200 ');
    expect(seen).toEqual(['fast a.test:443 +0']);
  });

  it('closes a connection that ends before sending anything', async () => {
    const { port, seen } = await frontedServer();
    const s = connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.end();
    await new Promise((r) => s.once('close', r));
    expect(seen).toEqual([]);
  });
});
