import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkUpstreamCa, readUpstreamCaFile } from '../../../core/gateway/upstream-ca.ts';
import { CertificateAuthority, createCa } from '../../../core/tls/ca.ts';
import { TlsAuthority, UPSTREAM_CA_FILE } from '../../../core/supervisor/tls/authority.ts';
import { connectTls } from '../../../core/supervisor/tls/terminate.ts';

const dir = (): string => mkdtempSync(join(tmpdir(), 'upstream-ca-'));

describe('gateway start --upstream-ca: the file is checked', () => {
  it('accepts one or more CA certificates, comments between them, and normalises to the blocks', () => {
    const d = dir();
    const file = join(d, 'corp.pem');
    writeFileSync(file, `# corporate roots\n${createCa('a').certPem}\nsubject=whatever\n${createCa('b').certPem}`);
    const pem = readUpstreamCaFile(file)!;
    expect(pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(pem).not.toContain('corporate');
    expect(checkUpstreamCa(pem, 'x').subjects).toHaveLength(2);
    expect(readUpstreamCaFile('none')).toBeNull();
  });

  it('refuses a missing file, no certificate, a broken one, a server (non-CA) certificate and a private key', () => {
    const d = dir();
    expect(() => readUpstreamCaFile(join(d, 'nope.pem'))).toThrow(/cannot read --upstream-ca .*ENOENT/);
    writeFileSync(join(d, 'empty.pem'), 'hello');
    expect(() => readUpstreamCaFile(join(d, 'empty.pem'))).toThrow(/holds no PEM certificate/);
    writeFileSync(join(d, 'bad.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(() => readUpstreamCaFile(join(d, 'bad.pem'))).toThrow(/certificate 1 does not parse/);
    const ca = createCa('corp');
    const leaf = new CertificateAuthority(ca).leaf('api.example.com');
    writeFileSync(join(d, 'leaf.pem'), `${ca.certPem}${leaf.certPem}`);
    expect(() => readUpstreamCaFile(join(d, 'leaf.pem'))).toThrow(/certificate 2 \(.*\) is not a CA certificate/);
    writeFileSync(join(d, 'key.pem'), `${ca.certPem}${ca.keyPem}`);
    expect(() => readUpstreamCaFile(join(d, 'key.pem'))).toThrow(/PRIVATE KEY` block: only CA certificates/);
  });
});

describe('the supervisor picks up a changed upstream-ca.pem', () => {
  let server: Server | undefined;
  afterEach(() => void server?.close());

  async function handshake(tls: TlsAuthority, port: number): Promise<string> {
    const raw = connect(port, '127.0.0.1');
    await new Promise((r) => raw.once('connect', r));
    try {
      const s = await connectTls(raw, 'api.example.com', tls.upstreamContext());
      s.destroy();
      return 'ok';
    } catch (err) {
      raw.destroy();
      return String((err as Error).message);
    }
  }

  it('verifies an upstream signed by a CA added while running, without a restart', async () => {
    const d = dir();
    const corp = createCa('corp');
    const leaf = new CertificateAuthority(corp).leaf('api.example.com');
    server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const tls = new TlsAuthority(d);
    expect(await handshake(tls, port)).not.toBe('ok');
    // Nothing changed: no reload.
    expect(tls.refreshUpstream()).toBeNull();
    writeFileSync(join(d, UPSTREAM_CA_FILE), corp.certPem);
    expect(tls.refreshUpstream()).toBe(1);
    expect(await handshake(tls, port)).toBe('ok');
    expect(tls.refreshUpstream()).toBeNull();
    // Cleared (the gateway writes an empty file): back to the public roots only.
    writeFileSync(join(d, UPSTREAM_CA_FILE), '');
    expect(tls.refreshUpstream()).toBe(0);
    expect(await handshake(tls, port)).not.toBe('ok');
  });
});
