import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { relay, type RelayStats } from '../../../core/supervisor/relay.ts';
import { SpliceHelper } from '../../../core/supervisor/splice/splice-helper.ts';

/**
 * Bulk tunnels handed to the splice helper (a real python3 process, real loopback sockets): the bytes
 * arrive intact both ways with half-close, the flow's byte counts include what the kernel moved, closing
 * the tunnel's socket in Node (what a revision does) cuts it, and a helper that dies takes its tunnels
 * down (fail closed) while new tunnels stay in Node.
 */

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const LIMIT = 256 * 1024;

interface Tunnel {
  /** The agent's end. */
  readonly client: Socket;
  /** The proxy's sockets, as relay() got them. */
  readonly inner: { client: Socket; upstream: Socket };
  readonly done: Promise<RelayStats>;
}

let upstreamServer: Server;
let upstreamPort = 0;
/** What each upstream connection does with its socket. */
let onUpstream: (s: Socket) => void = () => undefined;

beforeAll(async () => {
  upstreamServer = createServer({ allowHalfOpen: true }, (s) => onUpstream(s));
  await new Promise<void>((r) => upstreamServer.listen(0, '127.0.0.1', r));
  upstreamPort = (upstreamServer.address() as { port: number }).port;
});
afterAll(() => upstreamServer.close());

/** A proxy that relays each accepted connection to the upstream server, with `helper` taking bulk over. */
async function tunnel(helper: SpliceHelper | null): Promise<Tunnel> {
  let resolveInner!: (v: { client: Socket; upstream: Socket; done: Promise<RelayStats> }) => void;
  const inner = new Promise<{ client: Socket; upstream: Socket; done: Promise<RelayStats> }>((r) => (resolveInner = r));
  const front = createServer({ allowHalfOpen: true }, (c) => {
    const u = connect({ port: upstreamPort, host: '127.0.0.1', allowHalfOpen: true }, () => {
      const done = new Promise<RelayStats>((r) => relay(c, u, r, { splice: helper, handOffAfter: LIMIT }));
      resolveInner({ client: c, upstream: u, done });
    });
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  const client = connect({ port: (front.address() as { port: number }).port, host: '127.0.0.1', allowHalfOpen: true });
  const got = await inner;
  front.close();
  return { client, inner: got, done: got.done };
}

/** Everything `s` receives until its peer ends. */
function readAll(s: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', () => undefined);
  });
}

describe('bulk tunnels on splice(2)', () => {
  let helper: SpliceHelper;
  beforeAll(async () => {
    const h = await SpliceHelper.start();
    if (!h) throw new Error('python3 with os.splice is needed for this test');
    helper = h;
  });
  afterAll(() => helper.stop());

  it('moves 8 MiB each way intact, keeps half-close, and counts the spliced bytes in the flow', async () => {
    const up = randomBytes(8 << 20);
    const down = randomBytes(8 << 20);
    let upstreamGot: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    onUpstream = (s) => {
      upstreamGot = readAll(s);
      s.end(down);
    };
    const before = helper.handedOff;
    const t = await tunnel(helper);
    const clientGot = readAll(t.client);
    t.client.end(up);
    const stats = await t.done;
    expect(sha(await clientGot)).toBe(sha(down));
    expect(sha(await upstreamGot)).toBe(sha(up));
    expect(helper.handedOff).toBe(before + 1);
    expect(stats.bytesIn).toBe(down.length);
    expect(stats.bytesOut).toBe(up.length);
  });

  it('keeps the other direction open when the upstream ends right at the hand-over', async () => {
    const down = randomBytes(LIMIT * 2);
    let upstreamGot: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    onUpstream = (s) => {
      upstreamGot = readAll(s);
      s.end(down);
    };
    const t = await tunnel(helper);
    const got = await readAll(t.client);
    expect(sha(got)).toBe(sha(down));
    // Half-closed by the upstream: what the client sends now still arrives.
    t.client.end('after the upstream finished');
    expect((await upstreamGot).toString()).toBe('after the upstream finished');
    const stats = await t.done;
    expect(stats).toMatchObject({ bytesIn: down.length, bytesOut: 'after the upstream finished'.length });
  });

  it('leaves small exchanges in Node', async () => {
    onUpstream = (s) => s.end('pong');
    const before = helper.handedOff;
    const t = await tunnel(helper);
    const got = readAll(t.client);
    t.client.end('ping');
    const stats = await t.done;
    expect((await got).toString()).toBe('pong');
    expect(helper.handedOff).toBe(before);
    expect(stats).toMatchObject({ bytesIn: 4, bytesOut: 4 });
  });

  it('cuts a spliced tunnel when its socket is destroyed in Node (a revision closing the flow)', async () => {
    // 2 MiB, then the upstream holds the connection open without sending more.
    onUpstream = (s) => {
      s.on('error', () => undefined);
      s.write(randomBytes(2 << 20));
    };
    const before = helper.handedOff;
    const t = await tunnel(helper);
    let received = 0;
    const ended = new Promise<void>((r) => t.client.on('end', () => r()));
    t.client.on('error', () => undefined);
    await new Promise<void>((r) => t.client.on('data', (c: Buffer) => (received += c.length) >= 2 << 20 && r()));
    expect(helper.handedOff).toBe(before + 1);
    t.inner.client.destroy();
    await ended;
    const stats = await t.done;
    expect(stats.bytesIn).toBe(2 << 20);
  });

  it('ends every spliced tunnel when the helper dies, and relays new ones in Node', async () => {
    const own = await SpliceHelper.start();
    expect(own).not.toBeNull();
    onUpstream = (s) => {
      s.on('error', () => undefined);
      s.write(randomBytes(1 << 20));
    };
    const t = await tunnel(own);
    const ended = new Promise<void>((r) => t.client.on('end', () => r()));
    t.client.on('error', () => undefined);
    let received = 0;
    await new Promise<void>((r) => t.client.on('data', (c: Buffer) => (received += c.length) >= 1 << 20 && r()));
    expect(own!.handedOff).toBe(1);
    (own as unknown as { child: { kill(s: string): void } }).child.kill('SIGKILL');
    await ended;
    await t.done;
    expect(own!.available).toBe(false);

    const payload = randomBytes(1 << 20);
    onUpstream = (s) => s.end(payload);
    const next = await tunnel(own);
    const got = readAll(next.client);
    next.client.end();
    expect(sha(await got)).toBe(sha(payload));
    expect(own!.handedOff).toBe(1);
  });
});
