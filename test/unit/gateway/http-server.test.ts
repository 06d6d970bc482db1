// The served gateway's HTTP layer against a scripted Gateway (no Docker): routing, the 401 gate, trust, streams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { RemoteError, SandboxError } from '../../../core/errors.ts';
import { EventBus } from '../../../core/events/bus.ts';
import { HttpGateway } from '../../../core/gateway/http/client.ts';
import { selfSigned } from '../../../core/gateway/http/self-signed.ts';
import { GatewayServer, type RequestAuth } from '../../../core/gateway/http/server.ts';
import { fingerprintOfPem, normalizeFingerprint } from '../../../core/gateway/http/tls-pin.ts';
import type { ExecOptions, Gateway, GatewayEvents, LogOptions, SandboxSpec } from '../../../core/gateway/types.ts';
import { parseListen } from '../../../src/commands/gateway-serve.ts';

const TOKEN = 'fixed-test-token';

/** The test's stand-in for the real auth service: one fixed bearer token. */
const standIn: RequestAuth = {
  handle: () => Promise.resolve(false),
  verify: (req: IncomingMessage) =>
    req.headers.authorization === `Bearer ${TOKEN}` ? { ok: true, tokenId: 't1', subject: 'tester' } : { ok: false, reason: req.headers.authorization ? 'unknown token' : 'no bearer token' },
  close: () => undefined,
};

const calls: string[] = [];
const log: string[] = [];

/** Only what these tests call; each method records that it ran (the 401 tests check nothing did). */
function scripted(): Gateway {
  const events = new EventBus<GatewayEvents>();
  const g = {
    name: 'local',
    location: 'unix:///var/run/docker.sock',
    events,
    listSandboxes: () => (calls.push('list'), Promise.resolve([{ name: 'a' }])),
    deleteSandbox: (n: string) => (calls.push(`delete ${n}`), Promise.resolve()),
    getSandbox: (n: string) => Promise.reject(new SandboxError(`sandbox \`${n}\` is stopped`, { exitCode: 4, hint: 'start it' })),
    createSandbox: (spec: SandboxSpec, opts: { progress?: (m: string) => void; startAgent?: boolean } = {}) => {
      opts.progress?.('step 1');
      opts.progress?.('step 2');
      events.emit('sandbox.phase', { name: spec.name ?? '', phase: 'ready', time: 'now' });
      return Promise.resolve({ name: spec.name, startAgent: opts.startAgent ?? 'default' });
    },
    exec: async (_n: string, o: ExecOptions) => {
      const chunks: Buffer[] = [];
      for await (const c of o.stdin ?? []) chunks.push(c as Buffer);
      o.stdout.write(Buffer.concat(chunks));
      o.stderr.write('to stderr');
      return 5;
    },
    // Answers only after a long while: a call the connection drops under.
    start: (opts: { progress?: (m: string) => void } = {}) => {
      opts.progress?.('checking the engine');
      return new Promise((resolve) => setTimeout(resolve, 60_000).unref());
    },
    logs: (_n: string, o: LogOptions) => {
      o.stdout.write('line 1\nline 2\n');
      return Promise.resolve();
    },
  };
  return g as unknown as Gateway;
}

/** A TCP relay in front of the server whose connections can be cut (a network blip), and refused meanwhile. */
async function relay(port: number): Promise<{ port: number; cut(): void; heal(): void; close(): void }> {
  const open = new Set<Socket>();
  let refusing = false;
  const srv = createNetServer((inbound) => {
    if (refusing) return void inbound.destroy();
    const outbound = connect(port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => (open.delete(s), inbound.destroy(), outbound.destroy()));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as AddressInfo).port,
    cut: () => {
      refusing = true;
      for (const s of open) s.destroy();
    },
    heal: () => (refusing = false),
    close: () => (srv.close(), [...open].forEach((s) => s.destroy())),
  };
}

let served: Gateway;
let server: GatewayServer;
let url = '';
let fingerprint = '';
let cert = '';

beforeAll(async () => {
  const tls = selfSigned(['127.0.0.1', 'localhost']);
  cert = tls.cert;
  fingerprint = fingerprintOfPem(tls.cert);
  served = scripted();
  server = new GatewayServer({ gateway: served, watcher: scripted, auth: standIn, tls, log: (l) => log.push(l) });
  url = await server.listen('127.0.0.1', 0);
});
afterAll(() => server.close());

const client = (token = TOKEN, trust: { fingerprint?: string; ca?: string } = { fingerprint }): HttpGateway => new HttpGateway('unit', url, { token, ...trust });

describe('JSON methods', () => {
  it('return results, stream progress lines in order, and keep the caller’s other options', async () => {
    const seen: string[] = [];
    const r = await client().createSandbox({ name: 'x' }, { progress: (m) => seen.push(m), startAgent: false });
    expect(r).toEqual({ name: 'x', startAgent: false });
    expect(seen).toEqual(['step 1', 'step 2']);
    expect(await client().createSandbox({ name: 'y' })).toEqual({ name: 'y', startAgent: 'default' });
  });

  it('rebuild the server’s typed error', async () => {
    const err = await client().getSandbox('b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect(err).toMatchObject({ message: 'sandbox `b` is stopped', hint: 'start it', exitCode: 4 });
  });

  it('a client listening only for notices (every CLI command) makes one request, no event socket', async () => {
    const gw = client();
    gw.events.on('gateway.notice', () => undefined);
    log.length = 0;
    await gw.listSandboxes();
    await new Promise((r) => setTimeout(r, 100));
    expect(log.map((l) => l.split(' ').slice(2, 5).join(' '))).toEqual(['POST /api/v1/listSandboxes 200']);
    gw.close();
  });

  it('deliver the server’s events to subscribers', async () => {
    const gw = client();
    const phases: string[] = [];
    gw.events.on('sandbox.phase', (e) => phases.push(`${e.name}:${e.phase}`));
    await gw.createSandbox({ name: 'evented' });
    await expect.poll(() => phases).toEqual(['evented:ready']);
    gw.close();
  });
});

describe('a dropped connection', () => {
  it('is announced, and events from meanwhile arrive once after the reconnect', async () => {
    const r = await relay(Number(new URL(url).port));
    const gw = new HttpGateway('unit', `https://127.0.0.1:${r.port}`, { token: TOKEN, fingerprint });
    const got: string[] = [];
    const notices: string[] = [];
    gw.events.on('sandbox.deleted', (e) => got.push(e.name));
    gw.events.on('gateway.notice', (e) => notices.push(e.message));
    try {
      await gw.listSandboxes();
      served.events.emit('sandbox.deleted', { name: 'before', time: '' });
      await expect.poll(() => got).toEqual(['before']);
      r.cut();
      await expect.poll(() => notices).toEqual([expect.stringMatching(/^connection to gateway unit lost/)]);
      served.events.emit('sandbox.deleted', { name: 'during-1', time: '' });
      served.events.emit('sandbox.deleted', { name: 'during-2', time: '' });
      r.heal();
      await expect.poll(() => notices, { timeout: 8000 }).toEqual([expect.stringMatching(/lost/), expect.stringMatching(/^connection to gateway unit restored after \d+\.\ds$/)]);
      await expect.poll(() => got).toEqual(['before', 'during-1', 'during-2']);
      served.events.emit('sandbox.deleted', { name: 'after', time: '' });
      await expect.poll(() => got).toEqual(['before', 'during-1', 'during-2', 'after']);
    } finally {
      gw.close();
      r.close();
    }
  });

  it('under a call in flight fails that call clearly, after the progress it had shown', async () => {
    const r = await relay(Number(new URL(url).port));
    const gw = new HttpGateway('unit', `https://127.0.0.1:${r.port}`, { token: TOKEN, fingerprint });
    const progress: string[] = [];
    const call = gw.start({ progress: (m) => progress.push(m) });
    await expect.poll(() => progress).toEqual(['checking the engine']);
    r.cut();
    await expect(call).rejects.toThrow('the connection to gateway unit was lost during start');
    gw.close();
    r.close();
  });
});

describe('the 401 gate', () => {
  it('runs nothing for a missing or wrong token and says why', async () => {
    calls.length = 0;
    for (const token of ['', 'wrong']) {
      const err = await client(token).deleteSandbox('a').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect((err as Error).message).toMatch(/^gateway unit did not accept the token \((no bearer token|unknown token)\)$/);
      const out = new PassThrough();
      await expect(client(token).exec('a', { cmd: ['true'], stdout: out, stderr: out })).rejects.toThrow(/did not accept the token/);
    }
    expect(calls).toEqual([]);
    expect(await client().listSandboxes()).toEqual([{ name: 'a' }]);
    expect(calls).toEqual(['list']);
  });
});

describe('routing', () => {
  const post = (path: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(`${url}${path}`, { method: 'POST', rejectUnauthorized: false, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end('{}');
    });

  it('answers names that are not gateway methods with 404, including Object’s own', async () => {
    for (const m of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'nope']) {
      const r = await post(`/api/v1/${m}`);
      expect([m, r.status]).toEqual([m, 404]);
      expect(JSON.parse(r.body)).toMatchObject({ error: { name: 'NotFoundError' } });
    }
    expect((await post('/elsewhere')).status).toBe(404);
  });
});

describe('trust', () => {
  it('accepts the self-signed certificate as a CA, and without a pin or CA refuses it with a hint', async () => {
    expect(await client(TOKEN, { ca: cert }).listSandboxes()).toEqual([{ name: 'a' }]);
    const err = await client(TOKEN, {}).listSandboxes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).hint).toContain('not trusted');
  });

  it('normalizes fingerprints as browsers and openssl print them', () => {
    const hex = fingerprint.slice('sha256:'.length);
    const colons = hex.toUpperCase().match(/../g)!.join(':');
    expect(normalizeFingerprint(colons)).toBe(fingerprint);
    expect(normalizeFingerprint(`SHA256:${hex}`)).toBe(fingerprint);
    expect(() => normalizeFingerprint('sha256:abc')).toThrow(/invalid certificate fingerprint/);
  });

  it('reports an unreachable server as a status, and a server that is not a gateway as such', async () => {
    const gw = new HttpGateway('gone', 'https://127.0.0.1:1', { token: TOKEN, fingerprint });
    expect(await gw.status()).toMatchObject({ name: 'gone', location: 'https://127.0.0.1:1', state: 'unreachable' });
    await expect(gw.listSandboxes()).rejects.toThrow('cannot reach gateway gone at https://127.0.0.1:1: connection refused');
    const tls = selfSigned(['127.0.0.1']);
    const other = createHttpsServer(tls, (_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as AddressInfo).port;
    const web = new HttpGateway('web', `https://127.0.0.1:${port}`, { token: TOKEN, fingerprint: fingerprintOfPem(tls.cert) });
    await expect(web.listSandboxes()).rejects.toThrow(`https://127.0.0.1:${port} did not answer as an openshell gateway (HTTP 404)`);
    other.close();
    const plain = createHttpServer((_req, res) => res.end('hello'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const plainPort = (plain.address() as AddressInfo).port;
    const http = new HttpGateway('plain', `https://127.0.0.1:${plainPort}`, { token: TOKEN, fingerprint });
    await expect(http.listSandboxes()).rejects.toThrow(`cannot reach gateway plain at https://127.0.0.1:${plainPort}: it does not speak TLS there (plain HTTP?)`);
    plain.close();
  });
});

describe('streams', () => {
  it('exec carries a large stdin byte-exact, stdout and stderr apart, and the exit code', async () => {
    const payload = randomBytes(3 << 20);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const code = await client().exec('a', {
      cmd: ['cat'],
      stdin: Readable.from([payload.subarray(0, 1 << 20), payload.subarray(1 << 20)]),
      stdout: new PassThrough().on('data', (c: Buffer) => out.push(c)),
      stderr: new PassThrough().on('data', (c: Buffer) => err.push(c)),
    });
    expect(code).toBe(5);
    expect(Buffer.concat(out).equals(payload)).toBe(true);
    expect(Buffer.concat(err).toString()).toBe('to stderr');
  });

  it('logs arrive as a body', async () => {
    let text = '';
    await client().logs('a', { stdout: new PassThrough().on('data', (c: Buffer) => (text += c.toString())) });
    expect(text).toBe('line 1\nline 2\n');
  });
});

describe('gateway serve --listen', () => {
  it('parses addresses and ports, and refuses nonsense', () => {
    expect(parseListen('127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(parseListen(':9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(parseListen('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(() => parseListen('8443')).toThrow(/invalid --listen/);
    expect(() => parseListen('host:99999')).toThrow(/invalid --listen/);
  });
});
