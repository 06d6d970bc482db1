import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStateFile, writeStateFiles } from '../../core/docker/policy-volume.ts';
import { CA_CERT_FILE, CA_KEY_FILE, UPSTREAM_CA_FILE } from '../../core/supervisor/tls/authority.ts';
import { CertificateAuthority, createCa } from '../../core/tls/ca.ts';
import { bridgeGateway, docker, supervisor, supervisorLines, supervisorShell, waitForLine } from './egress-helpers.ts';
import { cli, execCapture, gateway } from './helpers.ts';

/**
 * Credential providers on a real engine: a provider bound to a sandbox reaches its declared HTTPS
 * upstream with the real secret, while the agent, its files, `docker inspect` and every openshell
 * output only ever hold the placeholder. Upstreams run in this process (on the egress bridge's gateway
 * address) with certificates from a test CA, and record every request they receive.
 */

const id = randomBytes(3).toString('hex');
const SANDBOX = `prov-cred-${id}`;
const PROVIDER = `prov-gh-${id}`;
const SECRET = `ghp_${randomBytes(18).toString('hex')}`;
const gw = gateway();

interface Upstream {
  readonly port: number;
  readonly seen: { url: string; authorization?: string }[];
  readonly server: Server;
}

async function upstream(ca: CertificateAuthority, host: string): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const leaf = ca.leaf(host);
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    seen.push({ url: req.url ?? '', ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }) });
    // A git host: asks for credentials first, as GitHub does for a private repository.
    if (req.url?.startsWith('/repo.git/') && req.headers.authorization === undefined) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  return { port: (server.address() as AddressInfo).port, seen, server };
}

let declared: Upstream;
let other: Upstream;

/** Runs a shell command as the agent user; stdout as text. */
async function agent(script: string): Promise<{ code: number; out: string }> {
  const r = await execCapture(gw, SANDBOX, ['sh', '-c', script]);
  return { code: r.code, out: r.stdout.toString() + r.stderr };
}

beforeAll(async () => {
  const testCa = createCa('prov test upstream CA');
  const signer = new CertificateAuthority(testCa);
  declared = await upstream(signer, 'up.prov.test');
  other = await upstream(signer, 'other.prov.test');
  const dir = mkdtempSync(join(tmpdir(), 'prov-'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(
    policy,
    [
      'version: 1',
      'network_policies:',
      '  upstreams:',
      '    endpoints:',
      `      - { host: up.prov.test, port: ${declared.port} }`,
      `      - { host: other.prov.test, port: ${other.port} }`,
      '    binaries: [{ path: /usr/bin/curl }, { path: /usr/bin/git }]',
      '',
    ].join('\n'),
  );
  // A bare KEY reads the caller's environment: the secret never appears on the command line.
  const created = await cli(['provider', 'create', PROVIDER, '--type', 'generic', '--credential', 'GITHUB_TOKEN', '--host', 'up.prov.test'], {
    env: { GITHUB_TOKEN: SECRET },
  });
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  expect(created.stdout.toString()).not.toContain(SECRET);
  const sb = await cli(['sandbox', 'create', '--name', SANDBOX, '--provider', PROVIDER, '--policy', policy, '-d', '-o', 'json']);
  expect(sb.code, sb.stderr).toBe(0);
  expect(JSON.parse(sb.stdout.toString())).toMatchObject({ name: SANDBOX, phase: 'ready', providers: [PROVIDER] });

  // The supervisor resolves the upstream names to this host's address on the egress bridge.
  const bridge = await bridgeGateway();
  await supervisorShell(SANDBOX, `printf '${bridge} up.prov.test\\n${bridge} other.prov.test\\n' >> /etc/hosts`);
  // The supervisor trusts the test CA for upstreams; a sandbox made before its CA existed gets one here.
  const sup = supervisor(SANDBOX);
  const files = [{ name: UPSTREAM_CA_FILE, text: testCa.certPem }];
  if ((await readStateFile(sup, CA_CERT_FILE)) === null) {
    const sandboxCa = createCa(SANDBOX);
    files.push({ name: CA_KEY_FILE, text: sandboxCa.keyPem }, { name: CA_CERT_FILE, text: sandboxCa.certPem });
  }
  await writeStateFiles(sup, files);
  const caPem = (await readStateFile(sup, CA_CERT_FILE))!;
  const put = await execCapture(gw, SANDBOX, ['sh', '-c', 'cat > /sandbox/.sandbox-ca.pem'], Buffer.from(caPem));
  expect(put.code, put.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await gw.deleteSandbox(SANDBOX).catch(() => undefined);
  await cli(['provider', 'delete', PROVIDER]);
  for (const u of [declared, other]) {
    u?.server.closeAllConnections();
    u?.server.close();
  }
});

const curl = (url: string, auth: string): string =>
  `curl -sS --cacert /sandbox/.sandbox-ca.pem -w '\\n%{http_code}' ${auth} '${url}'`;

describe('credential providers the agent never sees (real engine)', () => {
  it('gives the agent a placeholder, never the secret', async () => {
    const r = await agent('printf %s "$GITHUB_TOKEN"');
    expect(r.out).toMatch(/^OPENSHELL_PLACEHOLDER_GITHUB_TOKEN_[0-9a-f]{24}$/);
  });

  it('reaches the declared upstream with the real secret, in a bearer header and in Basic credentials', async () => {
    const bearer = await agent(curl(`https://up.prov.test:${declared.port}/user`, '-H "Authorization: Bearer $GITHUB_TOKEN"'));
    expect(bearer.out.trim().split('\n').at(-1), bearer.out).toBe('200');
    const basic = await agent(curl(`https://up.prov.test:${declared.port}/basic`, '-u "x-access-token:$GITHUB_TOKEN"'));
    expect(basic.out.trim().split('\n').at(-1), basic.out).toBe('200');
    expect(declared.seen).toEqual([
      { url: '/user', authorization: `Bearer ${SECRET}` },
      { url: '/basic', authorization: `Basic ${Buffer.from(`x-access-token:${SECRET}`).toString('base64')}` },
    ]);
  });

  it('lets git authenticate with the placeholder in the URL (Basic after a 401), the host getting the secret', async () => {
    const url = `https://x-access-token:$GITHUB_TOKEN@up.prov.test:${declared.port}/repo.git`;
    // The answer is no git protocol, so ls-remote fails after the exchange; what matters is what the host saw.
    const r = await agent(`GIT_TERMINAL_PROMPT=0 git -c http.sslCAInfo=/sandbox/.sandbox-ca.pem ls-remote "${url}" 2>&1`);
    const git = declared.seen.filter((s) => s.url.startsWith('/repo.git/'));
    // The first try has no credentials; every retry (git may try the dumb protocol too) carries the secret.
    const [first, ...retries] = git.map((s) => s.authorization);
    expect(first, r.out).toBeUndefined();
    expect(retries.length).toBeGreaterThan(0);
    for (const auth of retries) expect(auth).toBe(`Basic ${Buffer.from(`x-access-token:${SECRET}`).toString('base64')}`);
  });

  it('refuses the placeholder sent to an undeclared host with a 403 that says so; that host sees nothing', async () => {
    const r = await agent(curl(`https://other.prov.test:${other.port}/collect`, '-H "Authorization: Bearer $GITHUB_TOKEN"'));
    const [body, status] = r.out.trim().split('\n');
    expect(status, r.out).toBe('403');
    expect(JSON.parse(body!)).toMatchObject({ error: 'credential_endpoint_mismatch', provider: PROVIDER, host: 'other.prov.test' });
    expect(body).toContain('not a declared host');
    expect(other.seen).toEqual([]);
    // Without the placeholder the same host answers: the refusal is about the credential, not the host.
    const plain = await agent(curl(`https://other.prov.test:${other.port}/ok`, ''));
    expect(plain.out.trim().split('\n').at(-1)).toBe('200');
    expect(other.seen).toEqual([{ url: '/ok' }]);
  });

  it('never sends the credential, nor the placeholder, over plain HTTP', async () => {
    for (const [host, port, error] of [
      ['up.prov.test', declared.port, 'credential_requires_tls'],
      ['other.prov.test', other.port, 'credential_endpoint_mismatch'],
    ] as const) {
      const r = await agent(`curl -sS -w '\\n%{http_code}' -H "Authorization: Bearer $GITHUB_TOKEN" 'http://${host}:${port}/plain'`);
      const [body, status] = r.out.trim().split('\n');
      expect(status, r.out).toBe('403');
      expect(JSON.parse(body!)).toMatchObject({ error });
    }
    expect([...declared.seen, ...other.seen].filter((s) => s.url === '/plain')).toEqual([]);
  });

  it('leaves no secret in the agent’s environment, processes or any file it can read', async () => {
    const env = await agent('env; cat /proc/*/environ /proc/*/cmdline 2>/dev/null | tr "\\0" "\\n"');
    expect(env.out).toContain('GITHUB_TOKEN=OPENSHELL_PLACEHOLDER_');
    expect(env.out).not.toContain(SECRET);
    // grep lists each readable file holding it (exit 0); 1 or 2 (some files unreadable to the agent) without one.
    // -D skip keeps it off devices and fifos.
    const scan = await agent(`grep -rlsF -D skip --exclude-dir=proc --exclude-dir=sys '${SECRET}' / ; echo "exit=$?"`);
    expect(scan.out.trim()).toMatch(/^exit=[12]$/);
    // The scan can find it: the same command does list a file the agent wrote it into.
    const control = await agent(`printf %s '${SECRET}' > /sandbox/.control; grep -rlsF -D skip --exclude-dir=proc --exclude-dir=sys '${SECRET}' / ; rm /sandbox/.control`);
    expect(control.out.trim()).toBe('/sandbox/.control');
  }, 180_000);

  it('keeps the secret out of `docker inspect` of both containers, but on the supervisor’s state volume (root only)', async () => {
    for (const role of ['agent', 'supervisor']) {
      const text = JSON.stringify(await docker.getContainer(`openshell-${SANDBOX}-${role}`).inspect());
      expect(text, role).not.toContain(SECRET);
    }
    const agentInspect = await docker.getContainer(`openshell-${SANDBOX}-agent`).inspect();
    expect(agentInspect.Config.Env.find((e) => e.startsWith('GITHUB_TOKEN='))).toMatch(/^GITHUB_TOKEN=OPENSHELL_PLACEHOLDER_/);
    const mode = await supervisorShell(SANDBOX, 'stat -c "%a %u" /var/lib/openshell/providers.json');
    expect(mode).toContain('600 0');
  });

  it('never prints the secret: provider get/list, sandbox get, openshell logs, supervisor output, events file', async () => {
    const outputs = await Promise.all([
      cli(['provider', 'get', PROVIDER, '-o', 'json']),
      cli(['provider', 'get', PROVIDER]),
      cli(['provider', 'list', '-o', 'yaml']),
      cli(['sandbox', 'get', SANDBOX, '-o', 'json']),
      cli(['logs', SANDBOX, '--json']),
      cli(['logs', SANDBOX]),
    ]);
    const got = JSON.parse(outputs[0].stdout.toString()) as { keys: string[]; hosts: string[]; fingerprints: Record<string, string> };
    expect(got).toMatchObject({ keys: ['GITHUB_TOKEN'], hosts: ['up.prov.test'] });
    expect(got.fingerprints.GITHUB_TOKEN).toMatch(/^sha256:[0-9a-f]{12}…$/);
    for (const o of outputs) expect(o.stdout.toString() + o.stderr).not.toContain(SECRET);
    // The refusal is in the log, by provider name.
    expect(outputs[5].stdout.toString()).toMatch(/DENY .*other\.prov\.test.*credential placeholder of provider `prov-gh-/);
    expect(JSON.stringify(await supervisorLines(SANDBOX))).not.toContain(SECRET);
    expect(await readStateFile(supervisor(SANDBOX), 'events.jsonl')).not.toContain(SECRET);
    expect(await supervisorLines(SANDBOX)).toContainEqual(expect.objectContaining({ type: 'providers', providers: [PROVIDER], keys: [`${PROVIDER}/GITHUB_TOKEN`] }));
  });
});

describe('a provider replaced or deleted while its sandbox runs', () => {
  const bearer = (): Promise<{ code: number; out: string }> => agent(curl(`https://up.prov.test:${declared.port}/rotated`, '-H "Authorization: Bearer $GITHUB_TOKEN"'));

  it('sends the new value from the next request after `provider create --replace`, printing neither value', async () => {
    const rotated = `ghp_${randomBytes(18).toString('hex')}`;
    const since = Date.now();
    const r = await cli(['provider', 'create', PROVIDER, '--type', 'generic', '--credential', 'GITHUB_TOKEN', '--host', 'up.prov.test', '--replace'], { env: { GITHUB_TOKEN: rotated } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`sandboxes that now use the new values: ${SANDBOX}`);
    for (const secret of [SECRET, rotated]) expect(r.stdout.toString() + r.stderr).not.toContain(secret);
    await waitForLine(SANDBOX, (l) => l.type === 'providers' && l.status === 'reloaded' && Date.parse(l.time) >= since - 1000);
    const before = declared.seen.length;
    const got = await bearer();
    expect(got.out.trim().split('\n').at(-1), got.out).toBe('200');
    expect(declared.seen.slice(before)).toEqual([{ url: '/rotated', authorization: `Bearer ${rotated}` }]);
  });

  it('stops sending any value once the provider is deleted: the next request is refused and names it', async () => {
    const since = Date.now();
    const r = await cli(['provider', 'delete', PROVIDER]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`sandboxes that no longer have its values: ${SANDBOX}`);
    await waitForLine(SANDBOX, (l) => l.type === 'providers' && l.status === 'reloaded' && Date.parse(l.time) >= since - 1000);
    const before = declared.seen.length;
    const got = await bearer();
    const [body, status] = got.out.trim().split('\n');
    expect(status, got.out).toBe('403');
    expect(JSON.parse(body!)).toMatchObject({ error: 'credential_placeholder_unknown', provider: PROVIDER, key: 'GITHUB_TOKEN', reason: 'revoked credential placeholder' });
    expect(declared.seen.length).toBe(before);
  });
});
