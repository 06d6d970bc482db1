import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import type { Server } from 'node:net';
import { startTestProxy, startUpstream, type TestProxy } from '../../fixtures/supervisor/harness.ts';

const POLICY = (binary = '/usr/bin/curl', host = 'api.example.com'): string => `
version: 1
network_policies:
  api:
    endpoints: [{ host: "${host}", port: 443 }, { host: "${host}", port: 80 }]
    binaries: [{ path: ${binary} }]
  wild:
    endpoints: [{ host: "*.internal.example", port: 443 }]
    binaries: [{ path: /usr/bin/curl }]
`;

/** Sends raw bytes, resolves with everything received once the server closes (or after `waitMs`). */
function exchange(port: number, data: string | Buffer, waitMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (c: Buffer) => (out += c.toString('latin1')));
    s.on('close', () => resolve(out));
    s.on('error', () => undefined);
    s.write(data);
    setTimeout(() => s.destroy(), waitMs);
  });
}

function bodyOf(response: string): Record<string, unknown> {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

let proxy: TestProxy;
let upstream: { port: number; server: Server };
afterEach(async () => {
  await proxy.close();
  upstream.server.close();
});

async function setup(kind: 'echo' | 'http', dns: Record<string, string[]> = { 'api.example.com': ['93.184.216.34'] }): Promise<void> {
  upstream = await startUpstream(kind);
  proxy = await startTestProxy({ dns, redirect: upstream.port });
}

describe('the proxy pipeline', () => {
  it('denies everything with policy_denied while no revision is loaded', async () => {
    await setup('echo');
    const r = await exchange(proxy.port, 'CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n');
    expect(r).toMatch(/^HTTP\/1\.1 403 Forbidden\r\nContent-Type: application\/json/);
    expect(bodyOf(r)).toMatchObject({ error: 'policy_denied', host: 'api.example.com', port: 443, binary: '/usr/bin/curl', rule_missing: { type: 'l4_allow' } });
    expect(String(bodyOf(r).reason)).toContain('no policy revision is loaded');
    expect(proxy.dialed).toEqual([]);
  });

  it('tunnels an allowed CONNECT to the checked address, relays both ways and reports the flow', async () => {
    await setup('echo');
    proxy.setPolicy(POLICY(), 7);
    const s = connect(proxy.port, '127.0.0.1');
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.write('CONNECT api.example.com:443 HTTP/1.1\r\n\r\nearly;');
    await new Promise((r) => setTimeout(r, 200));
    s.write('later');
    s.end();
    await new Promise((r) => s.on('close', r));
    expect(got).toBe('HTTP/1.1 200 Connection Established\r\n\r\nearly;later');
    expect(proxy.dialed).toEqual([['93.184.216.34']]);
    await new Promise((r) => setTimeout(r, 50));
    const decision = proxy.lines.find((l) => l.type === 'decision')!;
    expect(decision).toMatchObject({ action: 'allow', layer: 'l4', rule: 'api', ip: '93.184.216.34', policyVersion: 7, sandbox: 'test', pid: 4242 });
    const end = proxy.lines.find((l) => l.type === 'flow-end')!;
    expect(end).toMatchObject({ seq: decision.seq, bytesIn: 11, bytesOut: 11 });
  });

  it('keeps the upstream direction open after the client half-closes', async () => {
    await setup('echo');
    proxy.setPolicy(POLICY(), 1);
    const s = connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.write('CONNECT api.example.com:443 HTTP/1.1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    s.end('after-half-close');
    await new Promise((r) => s.on('end', r));
    expect(got).toContain('after-half-close');
    s.destroy();
  });

  it('refuses a wildcard-matched name that resolves to an internal address (ssrf_denied)', async () => {
    await setup('echo', { 'db.internal.example': ['10.1.2.3'], 'lo.internal.example': ['127.0.0.1'] });
    proxy.setPolicy(POLICY(), 1);
    for (const [host, ip] of [['db.internal.example', '10.1.2.3'], ['lo.internal.example', '127.0.0.1']]) {
      const r = await exchange(proxy.port, `CONNECT ${host}:443 HTTP/1.1\r\n\r\n`);
      expect(r).toMatch(/^HTTP\/1\.1 403/);
      expect(bodyOf(r)).toMatchObject({ error: 'ssrf_denied', host });
      expect(String(bodyOf(r).detail)).toContain(`internal address ${ip}`);
    }
    expect(proxy.dialed).toEqual([]);
  });

  it('answers 502 upstream_unreachable when the dial fails', async () => {
    upstream = await startUpstream('echo');
    // Every dial is sent to a loopback port nobody listens on any more.
    const closed = await startUpstream('echo');
    const port = closed.port;
    await new Promise((r) => closed.server.close(r));
    proxy = await startTestProxy({ dns: { 'api.example.com': ['93.184.216.34'] }, redirect: port });
    proxy.setPolicy(POLICY(), 1);
    const r = await exchange(proxy.port, 'CONNECT api.example.com:443 HTTP/1.1\r\n\r\n');
    expect(r).toMatch(/^HTTP\/1\.1 502/);
    expect(bodyOf(r)).toMatchObject({ error: 'upstream_unreachable' });
    expect(proxy.lines.find((l) => l.type === 'decision')).toMatchObject({ action: 'deny', error: 'upstream_unreachable', ip: '93.184.216.34' });
  });

  it('forwards absolute-form HTTP in origin form, keeps the client connection alive, strips hop-by-hop headers', async () => {
    await setup('http');
    proxy.setPolicy(POLICY(), 1);
    const req = 'GET http://api.example.com/a?b=1 HTTP/1.1\r\nHost: api.example.com\r\nProxy-Connection: keep-alive\r\n\r\n';
    const r = await exchange(proxy.port, req + req, 800);
    const responses = r.split('HTTP/1.1 200 OK').length - 1;
    expect(responses).toBe(2);
    const body = JSON.parse(r.slice(r.indexOf('{'), r.indexOf('}') + 1)) as { line: string; host: string; proxyConnection: boolean };
    expect(body).toEqual({ line: 'GET /a?b=1 HTTP/1.1', host: 'api.example.com', proxyConnection: false });
    expect(proxy.lines.filter((l) => l.type === 'decision' && l.method === 'GET' && l.path === '/a?b=1')).toHaveLength(2);
  });

  it('answers malformed requests with 400/431 and keeps serving others', async () => {
    await setup('http');
    proxy.setPolicy(POLICY(), 1);
    const cases: [string, RegExp][] = [
      ['GET http://api.example.com/ HTTP/1.1\nHost: x\n\n', /^HTTP\/1\.1 400/],
      ['CONNECT api.example.com:0 HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 400/],
      ['CONNECT api.example.com:65536 HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 400/],
      ['CONNECT api.example.com HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 400/],
      [`CONNECT api.example.com:443 HTTP/1.1\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`, /^HTTP\/1\.1 431/],
      [`GET http://api.example.com/ HTTP/1.1\r\nX-Pad: ${'a'.repeat(20000)}\r\n\r\n`, /^HTTP\/1\.1 431/],
      ['GET http://api.example.com/\0 HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 400/],
      ['GET https://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\n\r\n', /^HTTP\/1\.1 400/],
      ['\x16\x03\x01\x00\x05hello\r\n\r\n', /^HTTP\/1\.1 400/],
    ];
    for (const [data, want] of cases) expect(await exchange(proxy.port, data, 800)).toMatch(want);
    const https = await exchange(proxy.port, 'GET https://api.example.com/ HTTP/1.1\r\n\r\n', 800);
    expect(bodyOf(https).detail).toBe('Use CONNECT for HTTPS URLs');
    const ok = await exchange(proxy.port, 'GET http://api.example.com/ok HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n');
    expect(ok).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it('closes an open tunnel when a new revision denies it, and keeps one it still allows', async () => {
    await setup('echo', { 'api.example.com': ['93.184.216.34'], 'other.example.com': ['93.184.216.35'] });
    proxy.setPolicy(POLICY() + `  other:\n    endpoints: [{ host: other.example.com, port: 443 }]\n    binaries: [{ path: /usr/bin/curl }]\n`, 1);
    const open = (host: string): Promise<Socket> =>
      new Promise((resolve) => {
        const s = connect(proxy.port, '127.0.0.1');
        s.on('error', () => undefined);
        s.once('data', () => resolve(s));
        s.write(`CONNECT ${host}:443 HTTP/1.1\r\n\r\n`);
      });
    const a = await open('api.example.com');
    const b = await open('other.example.com');
    const aClosed = new Promise((r) => a.on('close', r));
    proxy.setPolicy(`version: 1\nnetwork_policies:\n  other:\n    endpoints: [{ host: other.example.com, port: 443 }]\n    binaries: [{ path: /usr/bin/curl }]\n`, 2);
    await aClosed;
    expect(b.destroyed).toBe(false);
    b.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const end = proxy.lines.find((l) => l.type === 'flow-end' && String(l.reason).includes('revision 2'));
    expect(end).toBeDefined();
  });
});
