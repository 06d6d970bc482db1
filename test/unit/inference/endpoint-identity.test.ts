import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Enforcer } from '../../../core/supervisor/enforcer.ts';
import { EventSink } from '../../../core/supervisor/events.ts';
import { FlowRegistry } from '../../../core/supervisor/flows.ts';
import type { IdentityResult } from '../../../core/supervisor/identity.ts';
import { InferenceEndpoint } from '../../../core/supervisor/inference/endpoint.ts';
import { startProxy } from '../../../core/supervisor/proxy.ts';
import { CA_CERT_FILE, CA_KEY_FILE, TlsAuthority } from '../../../core/supervisor/tls/authority.ts';
import { createCa } from '../../../core/tls/ca.ts';
import { startFakeLlm, type FakeLlm } from '../../fixtures/llm/server.ts';

// The router is reachable whatever the policy, so the caller's identity is the one check on who sends
// prompts out and spends the budget: a caller whose identity failed is refused, as on the L4 path.
const ca = createCa('inf-identity');
let llm: FakeLlm;
let identity: IdentityResult;
let lines: Record<string, unknown>[] = [];
let port = 0;
let stop: () => void;

beforeAll(async () => {
  llm = await startFakeLlm({ protocol: 'openai', reply: 'served' });
  const dir = mkdtempSync(join(tmpdir(), 'inf-identity-'));
  writeFileSync(join(dir, CA_KEY_FILE), ca.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, CA_CERT_FILE), ca.certPem);
  const config = { version: 1, backends: [{ name: 'b', protocol: 'openai', url: llm.url, privacy: 'local', priceIn: 0, priceOut: 0 }], routes: [{ alias: 'fast', backends: ['b'] }] };
  writeFileSync(join(dir, 'inference.json'), JSON.stringify({ version: 1, config, credentials: {} }));
  const events = new EventSink({ dir, sandbox: 'inf-identity', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const flows = new FlowRegistry();
  const inference = new InferenceEndpoint({ stateDir: dir, tls: new TlsAuthority(dir), events });
  inference.start();
  const server = await startProxy(
    { host: '127.0.0.1', port: 0 },
    {
      enforcer: new Enforcer(dir, events, flows),
      events,
      flows,
      identify: () => Promise.resolve(identity),
      resolve: () => Promise.reject(new Error('no DNS in this test')),
      dial: () => Promise.reject(new Error('no dialing in this test')),
      inference,
    },
  );
  port = (server.address() as AddressInfo).port;
  stop = () => {
    inference.stop();
    server.closeAllConnections();
    server.close();
  };
});

afterAll(async () => {
  stop();
  await llm.close();
});

const TAMPERED: IdentityResult = { ok: false, error: 'binary_tampered', reason: '/usr/bin/python3 changed since first seen (sha256:aa… → sha256:bb…)', binary: '/usr/bin/python3', pid: 9, cmdline: ['python3', '-c', 'secret prompt'] };
const AMBIGUOUS: IdentityResult = { ok: false, error: 'identity_ambiguous', reason: 'the socket is shared by /usr/bin/curl and /tmp/evil', binary: '/usr/bin/curl', pid: 10 };

function connectStatus(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'CONNECT', path: 'inference.local:443' });
    req.once('connect', (res, socket: Socket, head: Buffer) => {
      let body = head.toString();
      socket.on('data', (c: Buffer) => (body += c.toString()));
      socket.once('close', () => resolve({ status: res.statusCode ?? 0, body }));
      if (res.statusCode === 200) socket.destroy();
    });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

function plainPost(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: 'http://inference.local/v1/chat/completions', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end(payload);
  });
}

describe('inference.local fails closed on a failed identity', () => {
  it('refuses CONNECT from a tampered binary with 403 and the reason; nothing reaches a backend', async () => {
    identity = TAMPERED;
    lines = [];
    const before = llm.received.length;
    const r = await connectStatus();
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'binary_tampered', reason: TAMPERED.reason, host: 'inference.local', port: 443 });
    expect(llm.received.length).toBe(before);
    const ev = lines.find((l) => l.type === 'decision')!;
    expect(ev).toMatchObject({ layer: 'inference', action: 'deny', error: 'binary_tampered', binary: '/usr/bin/python3', host: 'inference.local', port: 443 });
    // The command line may carry a prompt: never in the event.
    expect(JSON.stringify(lines)).not.toContain('secret prompt');
  });

  it('refuses absolute-form http://inference.local from an ambiguous caller with the JSON deny body', async () => {
    identity = AMBIGUOUS;
    lines = [];
    const before = llm.received.length;
    const r = await plainPost();
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'identity_ambiguous', reason: AMBIGUOUS.reason, binary: '/usr/bin/curl', host: 'inference.local' });
    expect(llm.received.length).toBe(before);
    expect(lines.find((l) => l.type === 'decision')).toMatchObject({ action: 'deny', error: 'identity_ambiguous', method: 'POST', path: '/v1/chat/completions' });
  });

  it('still serves an identified caller', async () => {
    identity = { ok: true, binary: '/usr/bin/curl', pid: 7, ancestors: [], cmdline: ['curl'], hash: 'sha256:x' };
    const r = await plainPost();
    expect(r.status).toBe(200);
    expect(r.body).toContain('served');
  });
});
