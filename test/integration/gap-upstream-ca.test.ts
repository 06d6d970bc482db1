import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, createCa } from '../../core/tls/ca.ts';
import { bridgeGateway, curl, supervisorShell, waitForLine, writePolicyFile } from './egress-helpers.ts';
import { cli, gateway, uniqueName } from './helpers.ts';
import { hostUpstreamCa, untrustCa, withHostCas } from './upstream-ca-helpers.ts';

// `gateway start --upstream-ca` is a setting of the Docker host, not of one client: a client with its
// own config dir sets it, and a sandbox that is already running trusts the new CA without re-creation.
const gw = gateway();
const name = uniqueName('gap-ca');
const corp = createCa('gap corporate CA');
const dir = mkdtempSync(join(tmpdir(), 'gap-ca-'));
// Another client: its own config directory, so nothing it knows comes from this process's settings.
const otherClient = { OPENSHELL_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'gap-ca-client-')) };
let server: Server;
let port = 0;

beforeAll(async () => {
  const bridge = await bridgeGateway();
  const leaf = new CertificateAuthority(corp).leaf('api.gap.test');
  server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, bridge, r));
  port = (server.address() as AddressInfo).port;
  await gw.createSandbox({ name });
  await supervisorShell(name, `printf '${bridge} api.gap.test\\n' >> /etc/hosts`);
  await writePolicyFile(name, {
    version: 601,
    policy: {
      version: 1,
      network_policies: {
        api: { endpoints: [{ host: 'api.gap.test', port, protocol: 'rest', enforcement: 'enforce', access: 'read-only' }], binaries: [{ path: '/usr/bin/curl' }] },
      },
    },
  });
  await waitForLine(name, (l) => l.type === 'policy' && l.version === 601 && l.status === 'loaded');
}, 120_000);

afterAll(async () => {
  server?.close();
  await gw.deleteSandbox(name).catch(() => undefined);
  await untrustCa(corp.certPem);
});

describe('upstream CAs on the Docker host', () => {
  it('a CA added by another client reaches a running sandbox: 502 before, 200 after, no re-creation', async () => {
    const before = await curl(gw, name, 'curl', `https://api.gap.test:${port}/repos/x`);
    expect(before.code).toBe('502');
    expect(JSON.parse(before.body)).toMatchObject({ error: 'upstream_certificate_invalid' });

    const file = join(dir, 'corp.pem');
    writeFileSync(file, await withHostCas(corp.certPem));
    const started = await cli(['gateway', 'start', '--upstream-ca', file], { env: otherClient });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toMatch(/upstream CA certificate\(s\) trusted: .*gap corporate CA.*delivered to \d+ sandbox/);
    // Stored on the host, where this process (a third client) reads it too.
    expect(await hostUpstreamCa()).toContain(corp.certPem.trim().split('\n')[1]);

    await waitForLine(name, (l) => l.type === 'upstream-ca' && l.status === 'loaded', 10_000);
    const after = await curl(gw, name, 'curl', `https://api.gap.test:${port}/repos/x`);
    expect(after).toEqual({ code: '200', body: '{"url":"/repos/x"}' });
  });

  it('refuses a server certificate or a private key with a clear error and keeps the host set unchanged', async () => {
    const current = await hostUpstreamCa();
    const leafFile = join(dir, 'leaf.pem');
    writeFileSync(leafFile, new CertificateAuthority(corp).leaf('api.gap.test').certPem);
    const leaf = await cli(['gateway', 'start', '--upstream-ca', leafFile], { env: otherClient });
    expect(leaf.code).toBe(2);
    expect(leaf.stderr).toMatch(/certificate 1 \(.*api\.gap\.test.*\) is not a CA certificate/);
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, corp.keyPem);
    const key = await cli(['gateway', 'start', '--upstream-ca', keyFile], { env: otherClient });
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/PRIVATE KEY` block: only CA certificates belong there/);
    expect(key.stderr).not.toContain(corp.keyPem.split('\n')[1]);
    expect(await hostUpstreamCa()).toBe(current);
  });
});
