import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTrafficLine } from '../../src/commands/logs.ts';
import { CertificateAuthority, createCa } from '../../core/tls/ca.ts';
import type { TrafficEvent } from '../../core/events/traffic.ts';
import { cli, execCapture, gateway, uniqueName } from './helpers.ts';
import { bridgeGateway, curl, docker, supervisorLines, supervisorShell, waitForLine, writePolicyFile } from './egress-helpers.ts';
import { untrustCa, withHostCas } from './upstream-ca-helpers.ts';

// TLS interception end to end: a real sandbox, its CA, and HTTPS upstreams on the host signed by a test CA
// that the operator trusts with `gateway start --upstream-ca`.
const configDir = mkdtempSync(join(tmpdir(), 'l7-config-'));
process.env.OPENSHELL_CONFIG_DIR = configDir;
const gw = gateway();
const name = uniqueName('l7');
const testCa = createCa('l7 test upstream CA');
const seen: { method: string; url: string; ua: string }[] = [];
const servers: Server[] = [];
let api = 0;
let bad = 0;

async function listen(leaf: { certPem: string; keyPem: string }, host: string): Promise<number> {
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', ua: req.headers['user-agent'] ?? '' });
      const body = JSON.stringify({ method: req.method, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  const caFile = join(configDir, 'test-ca.pem');
  // The host's set is shared with other test files: ours is added to it, and only ours removed after.
  writeFileSync(caFile, await withHostCas(testCa.certPem));
  const started = await cli(['gateway', 'start', '--upstream-ca', caFile], { env: { OPENSHELL_CONFIG_DIR: configDir } });
  expect(started.stderr).toMatch(/\d+ upstream CA certificate\(s\) trusted: .*l7 test upstream CA/);
  const bridge = await bridgeGateway();
  api = await listen(new CertificateAuthority(testCa).leaf('api.l7.test'), bridge);
  bad = await listen(new CertificateAuthority(createCa('a CA nobody trusts')).leaf('bad.l7.test'), bridge);
  await gw.createSandbox({ name });
  await supervisorShell(name, `printf '${bridge} api.l7.test\\n${bridge} bad.l7.test\\n' >> /etc/hosts`);
  const rest = { protocol: 'rest', enforcement: 'enforce', access: 'read-only' };
  await writePolicyFile(name, {
    version: 501,
    policy: {
      version: 1,
      network_policies: {
        github: {
          endpoints: [
            { host: 'api.l7.test', port: api, ...rest },
            { host: 'bad.l7.test', port: bad, ...rest },
          ],
          binaries: ['/usr/bin/curl', '/usr/bin/python3*', '/usr/bin/git', '/usr/lib/git-core/*', '/usr/bin/node'].map((path) => ({ path })),
        },
      },
    },
  });
  await waitForLine(name, (l) => l.type === 'policy' && l.version === 501 && l.status === 'loaded');
}, 120_000);

afterAll(async () => {
  for (const s of servers) s.close();
  await gw.deleteSandbox(name).catch(() => undefined);
  await untrustCa(testCa.certPem);
});

const url = (path: string, port = api, host = 'api.l7.test'): string => `https://${host}:${port}${path}`;
const l7Lines = async (): Promise<Record<string, unknown>[]> => (await supervisorLines(name)).filter((l) => l.type === 'decision' && l.layer === 'l7');

describe('TLS interception in a sandbox', () => {
  it('read-only preset: curl GET is allowed, POST gets the 403 JSON body', async () => {
    expect(await curl(gw, name, 'curl', url('/repos/x'))).toEqual({ code: '200', body: '{"method":"GET","url":"/repos/x"}' });
    const post = await curl(gw, name, 'curl', url('/repos/x/settings'), ['-X', 'POST', '-d', '{}']);
    expect(post.code).toBe('403');
    expect(JSON.parse(post.body)).toMatchObject({
      error: 'policy_denied',
      layer: 'l7',
      method: 'POST',
      path: '/repos/x/settings',
      binary: '/usr/bin/curl',
      rule_missing: { type: 'rest_allow', method: 'POST', path: '/repos/x/settings', host: 'api.l7.test', port: api },
    });
    expect(seen.filter((s) => s.method === 'POST')).toEqual([]);
    const deny = (await l7Lines()).find((l) => l.method === 'POST')!;
    expect(deny).toMatchObject({ action: 'deny', status: 403, rule: 'github', l7Rule: 'read-only', policyVersion: 501 });
    expect(formatTrafficLine(deny as unknown as TrafficEvent)).toMatch(/DENY POST api\.l7\.test:\d+\/repos\/x\/settings \(\/usr\/bin\/curl\) \[rule github: read-only\]/);
  });

  it('python urllib, git and node trust the sandbox CA without flags', async () => {
    const py = await execCapture(gw, name, ['python3', '-c', `import urllib.request; print(urllib.request.urlopen("${url('/repos/py')}").read().decode())`]);
    expect(py.stdout.toString().trim()).toBe('{"method":"GET","url":"/repos/py"}');
    // git speaks its smart protocol; our upstream answers JSON, so git fails after TLS and HTTP succeeded.
    const git = await execCapture(gw, name, ['git', 'ls-remote', url('/repos/x.git')]);
    expect(git.stderr).not.toMatch(/SSL|certificate/i);
    expect(seen.some((s) => s.url.startsWith('/repos/x.git/info/refs') && s.ua.startsWith('git/'))).toBe(true);
    const node = `
      const http = require('http'), tls = require('tls');
      http.request({ host: '127.0.0.1', port: 3128, method: 'CONNECT', path: 'api.l7.test:${api}' }).on('connect', (res, socket) => {
        const t = tls.connect({ socket, servername: 'api.l7.test' }, () => t.write('GET /repos/node HTTP/1.1\\r\\nHost: api.l7.test:${api}\\r\\nConnection: close\\r\\n\\r\\n'));
        let out = ''; t.on('data', (c) => (out += c)); t.on('end', () => console.log(out.split('\\r\\n')[0]));
        t.on('error', (e) => console.log('error', e.message));
      }).end();`;
    const n = await execCapture(gw, name, ['node', '-e', node]);
    expect(n.stdout.toString().trim()).toBe('HTTP/1.1 200 OK');
  });

  it('judges the canonical path, refuses an encoded slash, and judges keep-alive requests separately', async () => {
    const asIs = ['--path-as-is'];
    expect((await curl(gw, name, 'curl', url('/repos/x/../y'), asIs)).body).toBe('{"method":"GET","url":"/repos/y"}');
    expect((await curl(gw, name, 'curl', url('/repos/x/%2e%2e/z'), asIs)).body).toBe('{"method":"GET","url":"/repos/z"}');
    expect((await curl(gw, name, 'curl', url('//admin;x'), asIs)).body).toBe('{"method":"GET","url":"/admin"}');
    const slash = await curl(gw, name, 'curl', url('/repos/a%2Fb'), asIs);
    expect(slash.code).toBe('403');
    expect((JSON.parse(slash.body) as { reason: string }).reason).toMatch(/encoded `\/`/);
    // Two requests on one connection: the first allowed, the second (DELETE) refused.
    const two = await execCapture(gw, name, ['curl', '-sS', '-w', ' %{http_code} %{num_connects}\n', url('/repos/k1'), '--next', '-X', 'DELETE', '-w', ' %{http_code} %{num_connects}\n', url('/repos/k1')]);
    const lines = two.stdout.toString().trim().split('\n');
    expect(lines[0]).toMatch(/ 200 1$/);
    expect(lines[1]).toMatch(/ 403 0$/);
    expect(seen.filter((s) => s.method === 'DELETE')).toEqual([]);
  });

  it('refuses request smuggling, never forwarding a second request', async () => {
    const script = `
import socket, ssl, sys
def send(raw):
    s = socket.create_connection(("127.0.0.1", 3128))
    s.sendall(b"CONNECT api.l7.test:${api} HTTP/1.1\\r\\nHost: api.l7.test\\r\\n\\r\\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 200")
    t = ssl.create_default_context().wrap_socket(s, server_hostname="api.l7.test")
    t.sendall(raw)
    out = b""
    while True:
        c = t.recv(65536)
        if not c: break
        out += c
    return out.split(b"\\r\\n")[0].decode()
h = b"Host: api.l7.test:${api}\\r\\n"
for raw in [
    b"GET /repos/a HTTP/1.1\\r\\n" + h + b"Content-Length: 4\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\nGET /smuggled HTTP/1.1\\r\\n" + h + b"\\r\\n",
    b"GET /repos/a HTTP/1.1\\r\\n" + h + b"Content-Length: 0\\r\\nContent-Length: 37\\r\\n\\r\\nGET /smuggled HTTP/1.1\\r\\n" + h + b"\\r\\n",
    b"GET /repos/a HTTP/1.1\\n" + h.replace(b"\\r", b"") + b"\\nGET /smuggled HTTP/1.1\\r\\n" + h + b"\\r\\n",
    b"GET /repos/a HTTP/1.1\\r\\n" + h + b"X-A: 1\\r\\n Transfer-Encoding: chunked\\r\\n\\r\\n",
]:
    print(send(raw))
`;
    const r = await execCapture(gw, name, ['python3', '-c', script]);
    expect(r.stdout.toString().trim().split('\n')).toEqual(Array(4).fill('HTTP/1.1 400 Bad Request'));
    expect(seen.filter((s) => s.url === '/smuggled')).toEqual([]);
  });

  it('verifies the upstream certificate: an untrusted one yields 502 with a reason', async () => {
    const r = await curl(gw, name, 'curl', url('/repos/x', bad, 'bad.l7.test'));
    expect(r.code).toBe('502');
    expect(JSON.parse(r.body)).toMatchObject({ error: 'upstream_certificate_invalid', host: 'bad.l7.test' });
  });

  it('leaves no CA private key anywhere the agent can read, and its CA files read-only', async () => {
    const key = (await supervisorShell(name, 'cat /var/lib/openshell/ca-key.pem')).split('\n').find((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l.trim()))!.trim();
    expect(key.length).toBeGreaterThan(40);
    const needle = key.slice(0, 32);
    // The needle arrives on stdin, so no command line or environment of the scan itself contains it.
    const scan = await execCapture(
      gw,
      name,
      [
        'sh',
        '-c',
        'N=/tmp/.needle; cat > $N; env | grep -cFf $N; grep -rlFf $N / --exclude-dir=proc --exclude-dir=sys 2>/dev/null | grep -vx $N; ' +
          'for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do grep -lFf $N "$f" 2>/dev/null; done; ' +
          '{ ls /var/lib/openshell; echo x > /etc/openshell-tls/x; } 2>&1; grep -c BEGIN "$SSL_CERT_FILE"',
      ],
      Buffer.from(needle + '\n'),
    );
    const out = scan.stdout.toString().trim().split('\n');
    // Nor in `docker inspect` of either container (the boot script gets the certificate only).
    for (const role of ['agent', 'supervisor']) expect(JSON.stringify(await docker.getContainer(`openshell-${name}-${role}`).inspect())).not.toContain(needle);
    expect(out[0]).toBe('0');
    expect(out.slice(1, -3)).toEqual([]);
    expect(out.at(-3)).toMatch(/No such file or directory/);
    expect(out.at(-2)).toMatch(/Read-only file system/);
    // The image's own roots plus ours.
    expect(Number(out.at(-1))).toBeGreaterThan(100);
  });
});

describe('another agent image', () => {
  it('gets a bundle of its own roots plus the sandbox CA, and curl works through interception', async () => {
    const custom = `${name}-img`;
    const image = docker.getImage((await docker.listImages({ filters: { reference: ['openshell/sandbox:latest'] } }))[0]!.Id);
    await image.tag({ repo: 'openshell-l7-custom', tag: custom });
    try {
      await gw.createSandbox({ name: custom, image: `openshell-l7-custom:${custom}` });
      await supervisorShell(custom, `printf '${await bridgeGateway()} api.l7.test\\n' >> /etc/hosts`);
      await writePolicyFile(custom, {
        version: 502,
        policy: { version: 1, network_policies: { github: { endpoints: [{ host: 'api.l7.test', port: api, protocol: 'rest', access: 'read-only' }], binaries: [{ path: '/usr/bin/curl' }] } } },
      });
      await waitForLine(custom, (l) => l.type === 'policy' && l.version === 502 && l.status === 'loaded');
      expect(await curl(gw, custom, 'curl', url('/repos/custom'))).toEqual({ code: '200', body: '{"method":"GET","url":"/repos/custom"}' });
      const count = await execCapture(gw, custom, ['sh', '-c', 'grep -c BEGIN "$CURL_CA_BUNDLE"; diff -q /etc/openshell-tls/openshell-ca.pem "$NODE_EXTRA_CA_CERTS" && tail -c 2000 "$CURL_CA_BUNDLE" | grep -c BEGIN']);
      const [total, last] = count.stdout.toString().trim().split('\n');
      expect(Number(total)).toBeGreaterThan(100);
      expect(Number(last)).toBeGreaterThanOrEqual(1);
    } finally {
      await gw.deleteSandbox(custom).catch(() => undefined);
      await docker.getImage(`openshell-l7-custom:${custom}`).remove().catch(() => undefined);
    }
  });
});

