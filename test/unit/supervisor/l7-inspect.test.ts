import { afterEach, describe, expect, it } from 'vitest';
import { connect as netConnect, type Socket } from 'node:net';
import { exchange, openTunnel, responses, startL7Rig, type L7Rig } from './l7-harness.ts';

const POLICY = (extra = ''): string => `
version: 1
network_policies:
  github:
    endpoints:
      - host: api.example.com
        port: 443
        protocol: rest
        enforcement: enforce
        rules:
          - allow: { method: GET, path: "/repos/**" }
          - allow: { method: GET, path: "/public/**" }
${extra}
    binaries: [{ path: /usr/bin/curl }]
`;

const READ_ONLY = `
version: 1
network_policies:
  github:
    endpoints: [{ host: api.example.com, port: 443, protocol: rest, enforcement: enforce, access: read-only }]
    binaries: [{ path: /usr/bin/curl }]
`;

let rig: L7Rig;
afterEach(async () => rig?.close());

const get = (path: string, host = 'api.example.com'): string => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
const l7 = (): Record<string, unknown>[] => rig.lines.filter((l) => l.type === 'decision' && l.layer === 'l7');

describe('TLS interception with per-request decisions', () => {
  it('allows GET and refuses POST with the JSON deny body on a read-only endpoint', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY, 3);
    const ok = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), get('/repos/x')));
    expect(ok).toEqual([{ status: 200, body: JSON.stringify({ method: 'GET', url: '/repos/x', bytes: 0 }) }]);
    const denied = responses(
      await exchange(await openTunnel(rig, 'api.example.com:443', true), 'POST /repos/x/settings HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 2\r\n\r\n{}'),
    );
    expect(denied[0]!.status).toBe(403);
    expect(JSON.parse(denied[0]!.body)).toMatchObject({
      error: 'policy_denied',
      layer: 'l7',
      protocol: 'rest',
      method: 'POST',
      path: '/repos/x/settings',
      policy: 'github',
      binary: '/usr/bin/curl',
      rule_missing: { type: 'rest_allow', layer: 'l7', method: 'POST', path: '/repos/x/settings', host: 'api.example.com', port: 443 },
    });
    expect(rig.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /repos/x']);
    expect(l7().map((l) => [l.action, l.method, l.path, l.status, l.rule, l.l7Rule])).toEqual([
      ['allow', 'GET', '/repos/x', 200, 'github', 'GET /**'],
      ['deny', 'POST', '/repos/x/settings', 403, 'github', 'read-only'],
    ]);
    expect(l7()[0]).toMatchObject({ policyVersion: 3, pid: 4242, bytesOut: expect.any(Number) as number, bytesIn: expect.any(Number) as number });
    expect(typeof l7()[0]!.upstreamMs).toBe('number');
  });

  it('judges and forwards the canonical path', async () => {
    rig = await startL7Rig();
    rig.setPolicy(POLICY());
    const cases: [string, number, string][] = [
      ['/repos/x/../../admin', 403, '/admin'],
      ['/repos/x/%2e%2e/%2E%2E/admin', 403, '/admin'],
      ['//admin', 403, '/admin'],
      ['/admin;x', 403, '/admin'],
      ['/admin;/repos/x', 403, '/admin/repos/x'],
      ['/repos/x/../y', 200, '/repos/y'],
      ['//repos//x', 200, '/repos/x'],
      ['/repos;v=1/x?q=%2F', 200, '/repos/x?q=%2F'],
      ['/repos/a%20b/%7Euser', 200, '/repos/a%20b/~user'],
    ];
    for (const [path, status] of cases) {
      const [r] = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), get(path)));
      expect([path, r?.status]).toEqual([path, status]);
    }
    expect(rig.seen.map((s) => s.url)).toEqual(cases.filter((c) => c[1] === 200).map((c) => c[2]));
    expect(l7().map((l) => l.path)).toEqual(cases.map((c) => c[2].split('?')[0]));
  });

  it('refuses an encoded slash unless the endpoint allows it', async () => {
    rig = await startL7Rig();
    rig.setPolicy(POLICY());
    const [r] = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), get('/repos/a%2Fb')));
    expect(r!.status).toBe(403);
    expect((JSON.parse(r!.body) as { reason: string }).reason).toMatch(/encoded `\/`/);
    rig.setPolicy(POLICY().replace('enforcement: enforce', 'enforcement: enforce\n        allow_encoded_slash: true'), 2);
    const [ok] = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), get('/repos/a%2fb')));
    expect(ok!.status).toBe(200);
    expect(rig.seen.map((s) => s.url)).toEqual(['/repos/a%2Fb']);
  });

  it('judges two requests on one keep-alive connection separately', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY);
    const t = await openTunnel(rig, 'api.example.com:443', true);
    const out = responses(await exchange(t, get('/repos/1') + 'DELETE /repos/1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n' + get('/repos/2')));
    expect(out.map((r) => r.status)).toEqual([200, 403]);
    expect(rig.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /repos/1']);
  });

  it('strips an h2c upgrade offer: only WebSocket may switch protocols', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY);
    const h2c = 'GET /repos/x HTTP/1.1\r\nHost: api.example.com\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n';
    const [r] = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), h2c));
    expect(r!.status).toBe(200);
    expect(rig.seen[0]!.headers).not.toHaveProperty('upgrade');
    expect(rig.seen[0]!.headers).not.toHaveProperty('http2-settings');
  });

  it('passes a `tls: skip` endpoint through untouched (end-to-end TLS, no per-request decision)', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY.replace('access: read-only', 'access: read-only, tls: skip'));
    const t = await openTunnel({ proxyPort: rig.proxyPort, sandboxCa: rig.upstreamCa }, 'api.example.com:443', true);
    const [r] = responses(await exchange(t, 'POST /repos/x HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 0\r\n\r\n'));
    expect(r!.status).toBe(200);
    expect(l7()).toEqual([]);
  });

  it('forwards an audit-mode deny and logs it', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY.replace('enforcement: enforce', 'enforcement: audit'));
    const [r] = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), 'POST /repos/x HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 5\r\n\r\nhello'));
    expect(r!.status).toBe(200);
    expect(rig.seen[0]).toMatchObject({ method: 'POST', url: '/repos/x', body: 'hello' });
    expect(l7()[0]).toMatchObject({ action: 'deny', enforcement: 'audit', status: 200, method: 'POST' });
  });

  it('refuses a Host that is not the CONNECT target, whatever the SNI says', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY);
    const [r] = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), get('/repos/x', 'evil.example.com')));
    expect(r!.status).toBe(403);
    expect(JSON.parse(r!.body)).toMatchObject({ error: 'request_authority_mismatch' });
    // A different SNI neither chooses the certificate's host nor the upstream: the leaf is for the CONNECT host.
    const t = await openTunnel(rig, 'api.example.com:443', true, 'other.example.com').catch((e: Error) => e);
    expect(t).toBeInstanceOf(Error);
    expect(rig.seen).toEqual([]);
  });

  it('inspects plain HTTP inside a tunnel the same way', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY.replace('port: 443', 'port: 8080'));
    const [r] = responses(await exchange(await openTunnel(rig, 'api.example.com:8080', false), 'PUT /x HTTP/1.1\r\nHost: api.example.com:8080\r\nContent-Length: 0\r\n\r\n'));
    expect(r!.status).toBe(403);
    expect(l7()[0]).toMatchObject({ action: 'deny', method: 'PUT', path: '/x', port: 8080 });
  });

  it('inspects a request sent in the same packet as the CONNECT head', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY.replace('port: 443', 'port: 8080'));
    const s = await new Promise<Socket>((r) => {
      const c = netConnect(rig.proxyPort, '127.0.0.1', () => r(c));
    });
    const out = await exchange(s, 'CONNECT api.example.com:8080 HTTP/1.1\r\nHost: api.example.com:8080\r\n\r\nDELETE /x HTTP/1.1\r\nHost: api.example.com:8080\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 403 Forbidden/);
    expect(rig.seen).toEqual([]);
  });

  it('decides absolute-form plain HTTP to a REST endpoint per request, sending the canonical path', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY.replace('port: 443', 'port: 8080'));
    const req = (line: string, host = 'api.example.com:8080'): string => `${line} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\n`;
    const s = await new Promise<Socket>((r) => {
      const c = netConnect(rig.proxyPort, '127.0.0.1', () => r(c));
    });
    const out = responses(await exchange(s, req('GET http://api.example.com:8080/a/./b/../c;x') + req('POST http://api.example.com:8080/a')));
    expect(out.map((r) => r.status)).toEqual([200, 403]);
    expect(rig.seen.map((x) => `${x.method} ${x.url}`)).toEqual(['GET /a/c']);
    const evil = responses(await exchange(await new Promise<Socket>((r) => {
      const c = netConnect(rig.proxyPort, '127.0.0.1', () => r(c));
    }), req('GET http://api.example.com:8080/a', 'evil.example.com')));
    expect(evil[0]!.status).toBe(403);
    expect(JSON.parse(evil[0]!.body)).toMatchObject({ error: 'request_authority_mismatch' });
    // The allowed request is logged when its response ends, so after the refusals that follow it.
    expect(l7().map((l) => [l.action, l.method, l.path, l.status, l.error ?? null]).sort()).toEqual([
      ['allow', 'GET', '/a/c', 200, null],
      ['deny', 'GET', '/a', 403, 'request_authority_mismatch'],
      ['deny', 'POST', '/a', 403, 'policy_denied'],
    ]);
  });

  it('answers 502 with a reason when the upstream certificate is not trusted', async () => {
    rig = await startL7Rig({ upstreamSignedBy: 'stranger' });
    rig.setPolicy(READ_ONLY);
    const [r] = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), get('/repos/x')));
    expect(r!.status).toBe(502);
    expect(JSON.parse(r!.body)).toMatchObject({ error: 'upstream_certificate_invalid' });
    expect((JSON.parse(r!.body) as { detail: string }).detail).toMatch(/api\.example\.com:443.*not accepted/);
  });

  it('streams a large response and a chunked request body', async () => {
    rig = await startL7Rig();
    rig.setPolicy(READ_ONLY.replace('read-only', 'read-write'));
    const t = await openTunnel(rig, 'api.example.com:443', true);
    let n = 0;
    t.on('data', (c: Buffer) => (n += c.length));
    t.write(get('/big?mb=20'));
    await new Promise<void>((r) => {
      const check = (): void => void (n >= 20 * 1024 * 1024 ? r() : setTimeout(check, 20));
      check();
    });
    t.destroy();
    const chunked = 'POST /up HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n';
    const [r] = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), chunked));
    expect(r!.status).toBe(200);
    expect(rig.seen.at(-1)).toMatchObject({ method: 'POST', url: '/up', body: 'hello world' });
  });
});

describe('request smuggling is refused, never forwarded as two requests', () => {
  const attempts: [string, string][] = [
    ['both Content-Length and Transfer-Encoding', 'POST /repos/x HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: api.example.com\r\n\r\n'],
    ['duplicate Content-Length', 'POST /repos/x HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /admin HTTP/1.1\r\nHost: api.example.com\r\n\r\n'],
    ['a Content-Length list', 'POST /repos/x HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 0, 0\r\n\r\n'],
    ['a bare LF', 'GET /repos/x HTTP/1.1\nHost: api.example.com\n\nGET /admin HTTP/1.1\r\nHost: api.example.com\r\n\r\n'],
    ['obs-fold', 'GET /repos/x HTTP/1.1\r\nHost: api.example.com\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n'],
    ['a space before the colon', 'POST /repos/x HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n'],
    ['Transfer-Encoding other than chunked', 'POST /repos/x HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n'],
    ['an invalid chunk size', 'POST /repos/x HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n'],
    ['a chunk size with a leading space', 'POST /repos/x HTTP/1.1\r\nHost: api.example.com\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n'],
    ['two Host headers', 'GET /repos/x HTTP/1.1\r\nHost: api.example.com\r\nHost: evil.example.com\r\n\r\n'],
  ];
  for (const [what, bytes] of attempts) {
    it(`refuses ${what} with 400`, async () => {
      rig = await startL7Rig();
      rig.setPolicy(READ_ONLY.replace('read-only', 'full'));
      const out = responses(await exchange(await openTunnel(rig, 'api.example.com:443', true), bytes));
      expect(out.map((r) => r.status).filter((s) => s !== 200)).toEqual([expect.toSatisfy((s: number) => s === 400 || s === 501)]);
      expect(rig.seen.filter((s) => s.url === '/admin')).toEqual([]);
      expect(rig.seen.length).toBeLessThanOrEqual(0);
    });
  }
});
