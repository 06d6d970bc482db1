import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { startTestProxy, type TestProxy } from '../../fixtures/supervisor/harness.ts';

// Absolute-form plain HTTP through the proxy: one client keep-alive connection → one upstream connection.
const POLICY = `
version: 1
network_policies:
  api:
    endpoints: [{ host: "api.example.com", port: 80 }, { host: "other.example.com", port: 80 }]
    binaries: [{ path: /usr/bin/curl }]
`;
const ONLY_OTHER = POLICY.replace('{ host: "api.example.com", port: 80 }, ', '');

let proxy: TestProxy;
let upstream: Server;
let upstreamConnections: Socket[];
afterEach(async () => {
  await proxy.close();
  upstream.closeAllConnections();
  upstream.close();
});

/** A real HTTP server; `http10` answers as an HTTP/1.0 server without keep-alive. */
async function setup(opts: { http10?: boolean } = {}): Promise<void> {
  upstreamConnections = [];
  upstream = createServer((req, res) => {
    if (opts.http10) {
      req.socket.end(`HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold`);
      return;
    }
    const body = `${req.url} ${req.headers.connection ?? '-'}`;
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  upstream.on('connection', (s: Socket) => upstreamConnections.push(s));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const dns = { 'api.example.com': ['93.184.216.34'], 'other.example.com': ['93.184.216.35'] };
  proxy = await startTestProxy({ dns, redirect: (upstream.address() as AddressInfo).port });
  proxy.setPolicy(POLICY, 1);
}

/** One client connection to the proxy: sends a request, resolves with the complete response text. */
function client(): { ask: (req: string) => Promise<string>; socket: Socket; closed: Promise<void> } {
  const socket = connect(proxy.port, '127.0.0.1');
  let buf = '';
  let waiting: ((s: string) => void) | null = null;
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  socket.on('data', (c: Buffer) => {
    buf += c.toString('latin1');
    const end = buf.indexOf('\r\n\r\n');
    const len = /content-length: (\d+)/i.exec(buf.slice(0, end));
    if (end >= 0 && len && buf.length >= end + 4 + Number(len[1]) && waiting) {
      const whole = buf.slice(0, end + 4 + Number(len[1]));
      buf = buf.slice(whole.length);
      const w = waiting;
      waiting = null;
      w(whole);
    }
  });
  const ask = (req: string): Promise<string> =>
    new Promise((resolve) => {
      waiting = resolve;
      socket.write(req);
    });
  return { ask, socket, closed };
}

const get = (url: string, extra = ''): string => `GET ${url} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

describe('plain-HTTP upstream keep-alive', () => {
  it('sends several requests of one client connection over one upstream connection, each one decided', async () => {
    await setup();
    const c = client();
    for (const n of [1, 2, 3]) expect(await c.ask(get(`http://api.example.com/r${n}`))).toMatch(new RegExp(`^HTTP/1\\.1 200[\\s\\S]*/r${n} keep-alive$`));
    expect(upstreamConnections).toHaveLength(1);
    // Listeners do not pile up on a connection used many times.
    for (let n = 0; n < 30; n++) await c.ask(get(`http://api.example.com/more${n}`));
    expect(upstreamConnections).toHaveLength(1);
    const up = upstreamConnections[0]!;
    expect(up.destroyed).toBe(false);
    expect(proxy.dialed).toHaveLength(1);
    // Reuse does not skip the pipeline: every request is its own decision, every one has its flow-end.
    await new Promise((r) => setTimeout(r, 20));
    expect(proxy.lines.filter((l) => l.type === 'decision' && l.action === 'allow')).toHaveLength(33);
    const ends = proxy.lines.filter((l) => l.type === 'flow-end').slice(0, 3);
    expect(ends).toHaveLength(3);
    // Bytes are per request, not the connection's running total.
    expect(new Set(ends.map((e) => e.bytesOut)).size).toBe(1);
    c.socket.destroy();
  });

  it('does not share upstream connections between client connections or between hosts', async () => {
    await setup();
    const a = client();
    const b = client();
    await a.ask(get('http://api.example.com/a'));
    await b.ask(get('http://api.example.com/b'));
    await a.ask(get('http://other.example.com/c'));
    await a.ask(get('http://api.example.com/d'));
    expect(upstreamConnections).toHaveLength(3);
    a.socket.destroy();
    b.socket.destroy();
    // The client leaving closes its idle upstream connections.
    await new Promise((r) => setTimeout(r, 50));
    expect(upstreamConnections.every((s) => s.destroyed || s.readableEnded)).toBe(true);
  });

  it('honours Connection: close and HTTP/1.0 clients: the upstream is asked to close, nothing is kept', async () => {
    await setup();
    const c = client();
    expect(await c.ask(get('http://api.example.com/x', 'Connection: close\r\n'))).toMatch(/\/x close$/);
    await c.closed;
    const old = client();
    expect(await old.ask('GET http://api.example.com/y HTTP/1.0\r\nHost: x\r\n\r\n')).toMatch(/^HTTP\/1\.1 200[\s\S]*\/y close$/);
    await old.closed;
    expect(upstreamConnections).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(upstreamConnections.every((s) => s.destroyed || s.readableEnded)).toBe(true);
  });

  it('does not reuse a connection an HTTP/1.0 upstream closes', async () => {
    await setup({ http10: true });
    const c = client();
    expect(await c.ask(get('http://api.example.com/1'))).toMatch(/old$/);
    expect(await c.ask(get('http://api.example.com/2'))).toMatch(/old$/);
    expect(upstreamConnections).toHaveLength(2);
    c.socket.destroy();
  });

  it('closes idle pooled connections that a new revision denies, and decides the next request anew', async () => {
    await setup();
    const c = client();
    await c.ask(get('http://api.example.com/1'));
    await c.ask(get('http://other.example.com/2'));
    expect(upstreamConnections).toHaveLength(2);
    proxy.setPolicy(ONLY_OTHER, 2);
    await new Promise((r) => setTimeout(r, 50));
    // api's idle upstream is gone, other's stays and is reused.
    expect(upstreamConnections.filter((s) => !s.destroyed && !s.readableEnded)).toHaveLength(1);
    expect(await c.ask(get('http://other.example.com/3'))).toMatch(/\/3 keep-alive$/);
    expect(upstreamConnections).toHaveLength(2);
    const denied = await c.ask(get('http://api.example.com/4'));
    expect(denied).toMatch(/^HTTP\/1\.1 403/);
    expect(upstreamConnections).toHaveLength(2);
  });
});
