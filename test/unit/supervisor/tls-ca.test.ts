import { createPrivateKey, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TlsAuthority } from '../../../core/supervisor/tls/authority.ts';
import { CertificateAuthority, createCa, parseCertificates, selfSignedServer } from '../../../core/tls/ca.ts';

describe('the sandbox CA', () => {
  it('is a P-256 CA that may only sign certificates, naming openshell and the sandbox', () => {
    const ca = createCa('demo');
    const x = new X509Certificate(ca.certPem);
    expect(x.ca).toBe(true);
    expect(x.subject).toBe('O=OpenShell\nCN=OpenShell Sandbox CA (demo)');
    expect(x.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(x.checkIssued(x)).toBe(true);
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: ca.certPem }).toString();
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
  });

  it('mints leaves for names and IP literals that openssl verifies against it', () => {
    const ca = createCa('demo');
    const auth = new CertificateAuthority(ca);
    const dir = mkdtempSync(join(tmpdir(), 'ca-'));
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    for (const [host, san] of [['api.example.com', 'DNS:api.example.com'], ['10.1.2.3', 'IP Address:10.1.2.3'], ['fd00::1', 'IP Address:FD00:0:0:0:0:0:0:1']] as const) {
      const leaf = auth.leaf(host);
      writeFileSync(join(dir, 'leaf.pem'), leaf.certPem);
      expect(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslserver', join(dir, 'leaf.pem')]).toString()).toContain('OK');
      const x = new X509Certificate(leaf.certPem);
      expect(x.subjectAltName).toBe(san);
      expect(x.ca).toBe(false);
      expect(x.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
    }
    // One shared leaf key across hosts.
    expect(auth.leaf('a.example').keyPem).toBe(auth.leaf('b.example').keyPem);
  });

  it('caches one secure context per host and loads nothing when the sandbox has no CA', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ca-'));
    const none = new TlsAuthority(dir);
    expect(none.secureContextFor('a.example')).toBeNull();
    const ca = createCa('demo');
    writeFileSync(join(dir, 'ca-key.pem'), ca.keyPem);
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    const auth = new TlsAuthority(dir);
    const a = auth.secureContextFor('a.example');
    expect(a).not.toBeNull();
    expect(auth.secureContextFor('a.example')).toBe(a);
    expect(auth.secureContextFor('b.example')).not.toBe(a);
  });

  it('reads every certificate of an operator CA file and refuses a broken one', () => {
    const two = createCa('one').certPem + createCa('two').certPem;
    expect(parseCertificates(two)).toHaveLength(2);
    expect(() => parseCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow();
  });
});

describe('the self-signed certificate of `gateway serve`', () => {
  it('names every host and address, signs itself, and openssl accepts it as its own trust anchor', () => {
    const made = selfSignedServer(['gw.example', '127.0.0.1', '::1', 'gw.example']);
    const cert = new X509Certificate(made.certPem);
    expect(cert.subjectAltName).toBe('DNS:gw.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.checkHost('gw.example')).toBe('gw.example');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(made.keyPem))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'selfsigned-'));
    const file = join(dir, 'cert.pem');
    writeFileSync(file, made.certPem);
    expect(execFileSync('openssl', ['verify', '-CAfile', file, file]).toString()).toContain(': OK');
  });
});
