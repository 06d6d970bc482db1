// `gateway serve` seen from outside: the 401 gate, the certificate pin, streams, the CLI, and a server restart mid-watch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { WebSocket } from 'ws';
import { RemoteError } from '../../core/errors.ts';
import type { TrafficEvent } from '../../core/events/traffic.ts';
import { tokenStoreFor } from '../../core/gateway/http/auth.ts';
import { HttpGateway } from '../../core/gateway/http/client.ts';
import { saveCredential } from '../../core/gateway/http/credentials.ts';
import { fingerprintOf } from '../../core/gateway/http/tls-pin.ts';
import { GatewayRegistry } from '../../core/gateway/registry.ts';
import { BIN, cli, execCapture, gateway, inTerminal, uniqueName } from './helpers.ts';
import { startServedHost, type ServedHost } from './served-host.ts';

const name = uniqueName('srv');
const local = gateway();
let host: ServedHost;

/** A raw HTTPS call, as curl would make it (the certificate is checked by the pin, not a CA). */
function raw(path: string, headers: Record<string, string> = {}, body = '{}'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${host.url}${path}`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A WebSocket upgrade to the exec stream; resolves with the HTTP status the server answered. */
function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${host.url.replace('https', 'wss')}/api/v1/stream`, { headers, rejectUnauthorized: false });
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'exec', name, cmd: ['touch', '/sandbox/pwned'], stdin: false }));
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

beforeAll(async () => {
  host = await startServedHost();
  await local.createSandbox({ name });
});

afterAll(async () => {
  await local.deleteSandbox(name).catch(() => undefined);
  await host?.close();
});

/** The real `openshell gateway serve` process; resolves once it printed its URL and fingerprint. */
async function serveProcess(stateDir: string): Promise<{ url: string; fingerprint: string; stderr: () => string; stop: () => Promise<number> }> {
  const child = spawn(BIN, ['gateway', 'serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (/certificate fingerprint/.test(out)) resolve();
    });
    void exited.then(() => reject(new Error(`gateway serve exited:\n${err}`)));
  });
  const url = /serving gateway on (\S+)/.exec(out)![1]!;
  const fingerprint = /certificate fingerprint (sha256:[0-9a-f]{64})/.exec(out)![1]!;
  return { url, fingerprint, stderr: () => err, stop: () => (child.kill('SIGTERM'), exited) };
}

describe('openshell gateway serve', () => {
  it('prints its URL and the fingerprint it really serves, keeps its certificate, logs requests, and stops on SIGTERM', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'openshell-srv-state-'));
    try {
      const first = await serveProcess(stateDir);
      const seen = await new Promise<string>((resolve, reject) => {
        const u = new URL(first.url);
        const socket = tlsConnect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
          resolve(fingerprintOf(socket.getPeerCertificate().raw));
          socket.end();
        });
        socket.on('error', reject);
      });
      expect(seen).toBe(first.fingerprint);
      expect((await stat(join(stateDir, 'server-key.pem'))).mode & 0o777).toBe(0o600);
      const { token } = tokenStoreFor(stateDir).issue('srv-proc', 60_000);
      const gw = new HttpGateway('srv-proc', first.url, { token, fingerprint: first.fingerprint });
      expect((await gw.status()).state).toBe('running');
      gw.close();
      const t = Date.now();
      expect(await first.stop()).toBe(0);
      expect(Date.now() - t).toBeLessThan(10_000);
      expect(first.stderr()).toMatch(/ 127\.0\.0\.1 POST \/api\/v1\/status 200 \d+ms srv-proc\n/);
      expect(first.stderr()).not.toContain(token.split('.')[1]!);
      // Clients pinned to it keep working after a restart: the certificate is made once.
      const second = await serveProcess(stateDir);
      expect(second.fingerprint).toBe(first.fingerprint);
      await second.stop();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('served gateway: the token gate', () => {
  it('answers 401 with a JSON reason and does nothing without a valid token', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer osg_0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, { authorization: 'Basic eDp5' }];
    for (const headers of attempts) {
      const r = await raw('/api/v1/deleteSandbox', headers, JSON.stringify({ args: [name] }));
      expect(r.status).toBe(401);
      expect(r.type).toBe('application/json');
      expect(JSON.parse(r.body)).toMatchObject({ error: 'unauthorized', detail: expect.any(String) as string });
      expect(await upgradeStatus(headers)).toBe(401);
    }
    expect((await local.getSandbox(name)).phase).toBe('ready');
    expect((await execCapture(local, name, ['test', '-e', '/sandbox/pwned'])).code).toBe(1);
    // The health check is the one open door, and it says what it is.
    const health = await new Promise<string>((resolve) =>
      request(`${host.url}/healthz`, { rejectUnauthorized: false }, (res) => res.on('data', (c: Buffer) => resolve(c.toString()))).end(),
    );
    expect(JSON.parse(health)).toMatchObject({ ok: true, service: 'openshell-gateway' });
  });

  it('a client with a revoked or unknown token gets a clear error naming the login command', async () => {
    const gw = host.client({ token: 'osg_0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    const err = await gw.deleteSandbox(name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).message).toBe('gateway srv-test did not accept the token (unknown token)');
    expect((err as RemoteError).hint).toContain('openshell gateway login srv-test');
    expect((await local.getSandbox(name)).phase).toBe('ready');
  });

  it('a client pinned to another certificate refuses before sending anything', async () => {
    const before = host.log.length;
    const gw = host.client({ fingerprint: `sha256:${'ab'.repeat(32)}` });
    await expect(gw.listSandboxes()).rejects.toThrow(/does not match the pinned fingerprint; nothing was sent/);
    const out = new PassThrough();
    await expect(gw.exec(name, { cmd: ['true'], stdout: out, stderr: out })).rejects.toThrow(/does not match the pinned fingerprint/);
    // No request reached the server: not even a 401 line in its log.
    expect(host.log.slice(before)).toEqual([]);
  });

  it('refuses to destroy the server’s gateway from a client', async () => {
    await expect(host.client().destroy()).rejects.toThrow(/cannot be destroyed by a client/);
    expect((await local.getSandbox(name)).phase).toBe('ready');
  });
});

describe('served gateway: streams', () => {
  it('exec streams output as it is produced and returns the exit code', async () => {
    const gw = host.client();
    const started = Date.now();
    let firstAt = 0;
    const chunks: string[] = [];
    const stdout = new PassThrough().on('data', (c: Buffer) => {
      firstAt ||= Date.now();
      chunks.push(c.toString());
    });
    const stderr = new PassThrough();
    const code = await gw.exec(name, { cmd: ['sh', '-c', 'echo one; sleep 1.5; echo two; exit 7'], stdout, stderr });
    const doneAt = Date.now();
    expect(code).toBe(7);
    expect(chunks.join('')).toBe('one\ntwo\n');
    // `one` arrived while the command was still sleeping, not with the exit.
    expect(doneAt - firstAt).toBeGreaterThan(1000);
    expect(firstAt - started).toBeLessThan(doneAt - started - 1000);
    gw.close();
  });

  it('uploads and downloads files through tar bodies', async () => {
    const gw = host.client();
    const dir = await mkdtemp(join(tmpdir(), 'openshell-srv-files-'));
    try {
      const { mkdir, writeFile, readFile } = await import('node:fs/promises');
      await writeFile(join(dir, 'hello.txt'), 'hello over https\n');
      await gw.upload(name, join(dir, 'hello.txt'));
      expect((await execCapture(local, name, ['cat', '/sandbox/hello.txt'])).stdout.toString()).toBe('hello over https\n');
      // A folder keeps its tree, and everything belongs to the agent's user as with a local gateway.
      await mkdir(join(dir, 'tree', 'sub'), { recursive: true });
      await writeFile(join(dir, 'tree', 'sub', 'deep.txt'), 'deep\n');
      await gw.upload(name, join(dir, 'tree'), '/sandbox');
      const listed = await execCapture(local, name, ['sh', '-c', 'cat /sandbox/tree/sub/deep.txt; stat -c %U /sandbox/tree/sub/deep.txt']);
      expect(listed.stdout.toString()).toBe('deep\nsandbox\n');
      await expect(gw.upload(name, join(dir, 'missing'))).rejects.toThrow(`no such local file or folder: ${join(dir, 'missing')}`);
      await gw.download(name, '/sandbox/hello.txt', join(dir, 'back'));
      expect(await readFile(join(dir, 'back', 'hello.txt'), 'utf8')).toBe('hello over https\n');
      await expect(gw.download(name, '/sandbox/nope', dir)).rejects.toThrow('no such file or folder in the sandbox: /sandbox/nope');
    } finally {
      await rm(dir, { recursive: true, force: true });
      gw.close();
    }
  });
});

describe('served gateway: the CLI', () => {
  let dir = '';
  const env = (): NodeJS.ProcessEnv => ({ OPENSHELL_CONFIG_DIR: dir, OPENSHELL_GATEWAY: '' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openshell-srv-cli-'));
    new GatewayRegistry(dir).addHttps({ name: 'srv-test', url: host.url, fingerprint: host.fingerprint });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('without a token the CLI says to sign in', async () => {
    const r = await cli(['-g', 'srv-test', 'sandbox', 'list'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not signed in to gateway `srv-test`');
    expect(r.stderr).toContain('openshell gateway login srv-test');
  });

  it('lists and execs in sandboxes of the served gateway, with exit codes and errors as on a local one', async () => {
    const saved = process.env.OPENSHELL_CONFIG_DIR;
    process.env.OPENSHELL_CONFIG_DIR = dir;
    try {
      saveCredential('srv-test', { token: host.token, url: host.url });
    } finally {
      if (saved === undefined) delete process.env.OPENSHELL_CONFIG_DIR;
      else process.env.OPENSHELL_CONFIG_DIR = saved;
    }
    const list = await cli(['-g', 'srv-test', 'sandbox', 'list', '-o', 'json'], { env: env() });
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout.toString()) as { name: string }[]).map((s) => s.name)).toContain(name);
    const exec = await cli(['-g', 'srv-test', 'sandbox', 'exec', name, '--', 'sh', '-c', 'cat; echo err >&2; exit 3'], { env: env(), input: Buffer.from('piped\n') });
    expect([exec.code, exec.stdout.toString(), exec.stderr]).toEqual([3, 'piped\n', 'err\n']);
    const missing = await cli(['-g', 'srv-test', 'sandbox', 'get', 'it-srv-missing'], { env: env() });
    expect([missing.code, missing.stderr]).toEqual([2, 'error: sandbox `it-srv-missing` not found\n  hint: see `openshell sandbox list`\n']);
    // One line per request in the server's log, and never the token.
    expect(host.log.some((l) => / POST \/api\/v1\/listSandboxes 200 \d+ms srv-test$/.test(l))).toBe(true);
    expect(host.log.join('\n')).not.toContain(host.token.split('.')[1]!);
  });

  it('openshell logs prints the decisions of a sandbox behind the served gateway', async () => {
    await execCapture(local, name, ['curl', '-s', '-m', '5', 'http://cli-blocked.example/']);
    const r = await cli(['-g', 'srv-test', 'logs', name, '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as TrafficEvent);
    expect(lines.find((e) => e.host === 'cli-blocked.example')).toMatchObject({ action: 'deny', sandbox: name, port: 80 });
  });

  it('sandbox connect in a real terminal: a shell that follows resizes, and Ctrl-P Ctrl-Q detaches', async () => {
    const r = await inTerminal(
      ['-g', 'srv-test', 'sandbox', 'connect', name],
      [
        ['expect', 'detach with Ctrl-P Ctrl-Q'],
        ['send', '\r'],
        ['expect', '\\$ '],
        ['send', 'echo "who=$(id -un) tty=$(tty)"\r'],
        ['expect', 'who=sandbox tty=/dev/pts/'],
        ['resize', 31, 97],
        ['sleep', 0.5],
        ['send', 'stty size\r'],
        ['expect', '31 97'],
        ['send', '\x10\x11'],
        ['expect', 'detached from'],
      ],
      env(),
    );
    expect(r.out).toContain('who=sandbox tty=/dev/pts/');
    expect(r.code).toBe(0);
    expect((await local.getSandbox(name)).phase).toBe('ready');
  });
});

describe('served gateway: a server restart', () => {
  it('mid-exec gives a clear error at once; the next call works when the server is back', async () => {
    const gw = host.client();
    const out = new PassThrough();
    const running = gw.exec(name, { cmd: ['sh', '-c', 'echo started; sleep 30'], stdout: out, stderr: out });
    await new Promise((resolve) => out.once('data', resolve));
    const t = Date.now();
    await host.down();
    await expect(running).rejects.toThrow('the connection to gateway srv-test was lost during exec in `' + name + '`');
    expect(Date.now() - t).toBeLessThan(5000);
    await host.up();
    expect((await gw.getSandbox(name)).phase).toBe('ready');
    gw.close();
  });

  it('mid-watch: says the connection dropped and came back, and resumes traffic without loss or duplicates', async () => {
    const gw = host.client();
    const notices: string[] = [];
    const traffic: TrafficEvent[] = [];
    gw.events.on('gateway.notice', (e) => notices.push(e.message));
    gw.events.on('traffic', (e) => traffic.push(e));
    const deleted: string[] = [];
    gw.events.on('sandbox.deleted', (e) => deleted.push(e.name));
    const deny = (n: number): Promise<unknown> => execCapture(local, name, ['curl', '-s', '-m', '5', `http://blocked-${n}.example/`]);
    const stop = gw.watchTraffic(name, { sinceMs: Date.now() });
    try {
      await deny(1);
      await expect.poll(() => traffic.map((t) => t.host), { timeout: 15_000 }).toEqual(['blocked-1.example']);
      await host.down();
      await expect.poll(() => notices, { timeout: 10_000 }).toEqual([expect.stringMatching(/^connection to gateway srv-test lost/)]);
      // Decisions made while no server runs are in the supervisor's log; they must arrive once, later.
      await deny(2);
      await deny(3);
      await host.up();
      await expect.poll(() => notices.at(-1), { timeout: 15_000 }).toMatch(/^connection to gateway srv-test restored after \d+\.\ds$/);
      await expect.poll(() => traffic.map((t) => t.host), { timeout: 15_000 }).toEqual(['blocked-1.example', 'blocked-2.example', 'blocked-3.example']);
      const seqs = traffic.map((t) => t.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);
      expect(traffic.every((t) => t.action === 'deny')).toBe(true);
      // The event feed is back too: a deletion through this client is announced.
      await gw.deleteSandbox(name);
      await expect.poll(() => deleted).toEqual([name]);
    } finally {
      stop();
      gw.close();
    }
  });
});
