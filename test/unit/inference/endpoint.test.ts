import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Enforcer } from '../../../core/supervisor/enforcer.ts';
import { EventSink } from '../../../core/supervisor/events.ts';
import { FlowRegistry } from '../../../core/supervisor/flows.ts';
import { InferenceEndpoint } from '../../../core/supervisor/inference/endpoint.ts';
import { startProxy } from '../../../core/supervisor/proxy.ts';
import { CA_CERT_FILE, CA_KEY_FILE, TlsAuthority } from '../../../core/supervisor/tls/authority.ts';
import { createCa } from '../../../core/tls/ca.ts';
import type { InferenceConfig } from '../../../core/inference/types.ts';
import { startFakeLlm, type FakeLlm } from '../../fixtures/llm/server.ts';
import { AWS_KEY } from './harness.ts';

// The supervisor's proxy with the inference endpoint wired in, no container: CONNECT inference.local
// is answered by the router with a leaf of the sandbox CA, while the policy (none: deny all) refuses the rest.
const ca = createCa('inf-unit');
const KEY = 'sk-inf-unit-backend-key-0123456789';
let dir: string;
let lines: Record<string, unknown>[];
let proxyPort: number;
let close: () => Promise<void>;
let local: FakeLlm;
let cloud: FakeLlm;

function writeConfig(config: InferenceConfig, credentials: Record<string, string>): void {
  const file = join(dir, 'inference.json');
  writeFileSync(`${file}.tmp`, JSON.stringify({ version: 1, config, credentials }));
  renameSync(`${file}.tmp`, file);
}

const config = (): InferenceConfig => ({
  version: 1,
  backends: [
    { name: 'inf-local', protocol: 'openai', url: local.url, privacy: 'local', priceIn: 1, priceOut: 1 },
    { name: 'inf-cloud', protocol: 'openai', url: cloud.url, privacy: 'public', priceIn: 0.1, priceOut: 0.1, provider: 'openai' },
  ],
  routes: [{ alias: 'fast', backends: ['inf-local', 'inf-cloud'] }],
});

/** The supervisor's proxy with the inference endpoint, for the state directory `stateDir`. */
async function startStack(stateDir: string, sink: Record<string, unknown>[]): Promise<{ port: number; close: () => Promise<void> }> {
  const events = new EventSink({ dir: stateDir, sandbox: 'inf-unit', write: (l) => sink.push(JSON.parse(l) as Record<string, unknown>) });
  const flows = new FlowRegistry();
  const inference = new InferenceEndpoint({ stateDir, tls: new TlsAuthority(stateDir), events });
  inference.start();
  const server = await startProxy(
    { host: '127.0.0.1', port: 0 },
    {
      enforcer: new Enforcer(stateDir, events, flows),
      events,
      flows,
      identify: () => Promise.resolve({ ok: true, binary: '/usr/bin/curl', pid: 7, ancestors: ['/usr/bin/bash'], cmdline: ['curl'], hash: 'sha256:x' }),
      resolve: () => Promise.reject(new Error('no DNS in this test')),
      dial: () => Promise.reject(new Error('no dialing in this test')),
      inference,
    },
  );
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      inference.stop();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A CONNECT tunnel to inference.local through the proxy at `port`: the raw socket after the 200. */
function tunnel(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'CONNECT', path: 'inference.local:443' });
    req.once('connect', (res, socket) => (res.statusCode === 200 ? resolve(socket) : reject(new Error(`CONNECT answered ${res.statusCode}`))));
    req.once('error', reject);
    req.end();
  });
}

/** Reads from `s` until `done(text)` holds or it closes. */
function readUntil(s: Duplex, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (c: Buffer) => {
      text += c.toString();
      if (done(text)) resolve(text);
    });
    s.once('close', () => resolve(text));
  });
}

const rawRequest = (body: string): string => `POST /v1/chat/completions HTTP/1.1\r\nHost: inference.local\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

beforeAll(async () => {
  local = await startFakeLlm({ protocol: 'openai', reply: 'from local' });
  cloud = await startFakeLlm({ protocol: 'openai', key: KEY, reply: 'from cloud' });
  dir = mkdtempSync(join(tmpdir(), 'inf-endpoint-'));
  writeFileSync(join(dir, CA_KEY_FILE), ca.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, CA_CERT_FILE), ca.certPem);
  writeConfig(config(), { 'inf-cloud': KEY });
  lines = [];
  const stack = await startStack(dir, lines);
  proxyPort = stack.port;
  close = stack.close;
});

afterAll(async () => {
  await close();
  await Promise.all([local.close(), cloud.close()]);
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What `curl -x proxy https://inference.local/…` does: CONNECT, TLS trusting the sandbox CA, one request. */
function viaTunnel(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const connectReq = request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: 'inference.local:443' });
    connectReq.once('connect', (res, socket) => {
      if (res.statusCode !== 200) return reject(new Error(`CONNECT answered ${res.statusCode}`));
      const tls = tlsConnect({ socket, servername: 'inference.local', ca: ca.certPem });
      tls.once('error', reject);
      const payload = JSON.stringify(body);
      const req = request({ createConnection: () => tls, host: 'inference.local', path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => {
          resolve({ status: r.statusCode ?? 0, headers: r.headers, body: text });
          tls.destroy();
        });
      });
      req.once('error', reject);
      req.end(payload);
    });
    connectReq.once('error', reject);
    connectReq.end();
  });
}

function viaPlainHttp(path: string, body: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port: proxyPort, method: 'POST', path: `http://inference.local${path}`, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (r) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: text }));
    });
    req.once('error', reject);
    req.end(payload);
  });
}

const decisions = (): Record<string, unknown>[] => lines.filter((l) => l.type === 'decision' && l.layer === 'inference');

describe('inference.local in the supervisor proxy', () => {
  it('answers CONNECT inference.local with the sandbox CA and the router, although the policy allows nothing', async () => {
    const r = await viaTunnel('/v1/chat/completions', { model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { authorization: 'Bearer agent-secret' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ choices: [{ message: { content: 'from cloud' } }] });
    expect(cloud.received.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(r.body + JSON.stringify(r.headers)).not.toContain(KEY);
    const ev = decisions().at(-1)!;
    expect(ev).toMatchObject({ action: 'allow', binary: '/usr/bin/curl', host: 'inference.local', port: 443, method: 'POST', path: '/v1/chat/completions', rule: 'inf-cloud' });
    expect(ev.inference).toMatchObject({ backend: 'inf-cloud', tier: 'public', tokensIn: 11, fallback: [] });
  });

  it('keeps a prompt with an AWS key on the local backend, and logs kinds and counts only', async () => {
    const r = await viaTunnel('/v1/chat/completions', { model: 'fast', messages: [{ role: 'user', content: `use ${AWS_KEY}` }] });
    expect(r.status).toBe(200);
    expect(r.headers['x-inference-backend']).toBe('inf-local');
    const ev = decisions().at(-1)!;
    expect(ev.inference).toMatchObject({ backend: 'inf-local', tier: 'local', findings: { aws_access_key_id: 1 } });
    expect(JSON.stringify(lines)).not.toContain(AWS_KEY);
  });

  it('serves absolute-form http://inference.local requests too, and refuses other paths', async () => {
    const r = await viaPlainHttp('/v1/chat/completions', { model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.status).toBe(200);
    expect(decisions().at(-1)).toMatchObject({ port: 80, action: 'allow' });
    const other = await viaTunnel('/internal/admin', {});
    expect(other.status).toBe(403);
    expect(decisions().at(-1)).toMatchObject({ action: 'deny', error: 'forbidden', path: '/internal/admin' });
  });

  it('picks up a new inference.json without a restart', async () => {
    writeConfig({ ...config(), routes: [{ alias: 'fast', backends: ['inf-local'] }] }, {});
    await new Promise((r) => setTimeout(r, 800));
    const r = await viaTunnel('/v1/chat/completions', { model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.headers['x-inference-backend']).toBe('inf-local');
    expect(lines.some((l) => l.type === 'inference' && l.status === 'loaded')).toBe(true);
  });

  it('serves several requests on one kept-alive TLS tunnel, and plain HTTP inside a tunnel', async () => {
    const tls = tlsConnect({ socket: await tunnel(proxyPort), servername: 'inference.local', ca: ca.certPem });
    const body = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    const reading = readUntil(tls, (t) => (t.match(/HTTP\/1\.1 200/g) ?? []).length === 2 && t.endsWith('}'));
    tls.write(rawRequest(body) + rawRequest(body));
    expect((await reading).match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    tls.destroy();

    const plain = await tunnel(proxyPort);
    const answer = readUntil(plain, (t) => t.includes('from local') || t.includes('from cloud'));
    plain.write(rawRequest(body));
    expect(await answer).toMatch(/^HTTP\/1\.1 200 OK/);
    plain.destroy();
  });

  it('refuses TLS to inference.local in a sandbox without a CA, and says why in an event', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'inf-noca-'));
    const sink: Record<string, unknown>[] = [];
    const stack = await startStack(bare, sink);
    try {
      const tls = tlsConnect({ socket: await tunnel(stack.port), servername: 'inference.local', ca: ca.certPem });
      const failed = await new Promise<boolean>((resolve) => {
        tls.once('secureConnect', () => resolve(false));
        tls.once('error', () => resolve(true));
        tls.once('close', () => resolve(true));
      });
      expect(failed).toBe(true);
      expect(sink.find((l) => l.type === 'decision')).toMatchObject({ layer: 'inference', action: 'deny', error: 'tls_unavailable' });
    } finally {
      await stack.close();
    }
  });

  it('answers 503 until an inference configuration arrives', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'inf-empty-'));
    writeFileSync(join(empty, CA_KEY_FILE), ca.keyPem, { mode: 0o600 });
    writeFileSync(join(empty, CA_CERT_FILE), ca.certPem);
    const stack = await startStack(empty, []);
    try {
      const s = await tunnel(stack.port);
      const answer = readUntil(s, (t) => t.includes('}'));
      s.write(rawRequest('{"model":"fast","messages":[]}'));
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 503/);
      expect(text).toContain('inference_not_configured');
      s.destroy();
    } finally {
      await stack.close();
    }
  });
});
