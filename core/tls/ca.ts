import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { bits, bool, explicit, implicit, int, octets, oid, read, seq, set, time, tlv, uint, utf8 } from './der.ts';

/**
 * The only certificate code of openshell: a per-sandbox CA and the leaf certificates the supervisor
 * presents when it terminates TLS. EC P-256 everywhere (keys in well under a millisecond, small
 * handshakes); keys and signatures come from Node's crypto, the DER around them from der.ts.
 */

export interface CaMaterial {
  readonly keyPem: string;
  readonly certPem: string;
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const DAY = 86_400_000;
const SIG_ALG = seq(oid(OID.ecdsaSha256));

const name = (cn: string): Buffer =>
  seq(set(seq(oid(OID.organization), utf8('OpenShell'))), set(seq(oid(OID.commonName), utf8(cn))));

const ext = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** keyUsage bits, first byte only: digitalSignature = 0x80, keyCertSign = 0x04, cRLSign = 0x02. */
const keyUsage = (mask: number): Buffer => tlv(0x03, Buffer.from([mask & 0x02 ? 1 : 2]), Buffer.from([mask]));

function spki(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
function keyId(spkiDer: Buffer): Buffer {
  const outer = read(spkiDer, 0);
  const alg = read(spkiDer, outer.start);
  const key = read(spkiDer, alg.end);
  return createHash('sha1').update(spkiDer.subarray(key.start + 1, key.end)).digest();
}

function serial(): Buffer {
  const b = randomBytes(16);
  b[0]! &= 0x7f;
  return uint(b);
}

function certificate(tbs: Buffer, signer: KeyObject): string {
  const der = seq(tbs, SIG_ALG, bits(sign('sha256', tbs, signer)));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
}

/** A fresh P-256 key and a certificate it signs for itself, valid ten years, with these extensions. */
function selfSignedWith(cn: string, extensions: readonly Buffer[], now: Date): CaMaterial {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = spki(privateKey);
  const subject = name(cn.slice(0, 64));
  const tbs = seq(
    explicit(0, int(2)),
    serial(),
    SIG_ALG,
    subject,
    seq(time(new Date(now.getTime() - DAY)), time(new Date(now.getTime() + 3650 * DAY))),
    subject,
    pub,
    explicit(3, seq(...extensions, ext(OID.subjectKeyId, false, octets(keyId(pub))))),
  );
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: certificate(tbs, privateKey) };
}

/** A new CA for one sandbox: `OpenShell Sandbox CA (<sandbox>)`, valid ten years, may only sign certificates. */
export function createCa(sandbox: string, now = new Date()): CaMaterial {
  return selfSignedWith(
    `OpenShell Sandbox CA (${sandbox})`,
    [ext(OID.basicConstraints, true, seq(bool(true), int(0))), ext(OID.keyUsage, true, keyUsage(0x06))],
    now,
  );
}

/**
 * A self-signed server certificate for `gateway serve` without --tls-cert: every name and address in
 * one subjectAltName, valid ten years. It is its own CA (clients either pin its fingerprint or trust it
 * as a CA file), so it may sign certificates too.
 */
export function selfSignedServer(names: readonly string[], now = new Date()): CaMaterial {
  const unique = [...new Set(names)];
  return selfSignedWith(
    unique[0] ?? 'localhost',
    [
      ext(OID.basicConstraints, true, seq(bool(true))),
      ext(OID.keyUsage, true, keyUsage(0x84)),
      ext(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
      ext(OID.subjectAltName, false, seq(...unique.map(altName))),
    ],
    now,
  );
}

/** A leaf for one host: its certificate (PEM) and the shared leaf key (PEM). */
export interface Leaf {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Mints leaves signed by a CA, all with one key generated when the authority is loaded. */
export class CertificateAuthority {
  private readonly caKey: KeyObject;
  private readonly issuer: Buffer;
  private readonly authorityKeyId: Buffer;
  private readonly leafKey: KeyObject;
  private readonly leafSpki: Buffer;
  readonly leafKeyPem: string;
  readonly certPem: string;

  constructor(ca: CaMaterial) {
    this.caKey = createPrivateKey(ca.keyPem);
    this.certPem = ca.certPem;
    const der = new X509Certificate(ca.certPem).raw;
    this.issuer = subjectOf(der);
    this.authorityKeyId = keyId(spki(this.caKey));
    this.leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    this.leafSpki = spki(this.leafKey);
    this.leafKeyPem = this.leafKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  /** A server certificate for `host` (DNS name or IP literal), valid from a day ago for 90 days. */
  leaf(host: string, now = new Date()): Leaf {
    const san = altName(host);
    const tbs = seq(
      explicit(0, int(2)),
      serial(),
      SIG_ALG,
      this.issuer,
      seq(time(new Date(now.getTime() - DAY)), time(new Date(now.getTime() + 90 * DAY))),
      name(host.slice(0, 64)),
      this.leafSpki,
      explicit(
        3,
        seq(
          ext(OID.basicConstraints, true, seq()),
          ext(OID.keyUsage, true, keyUsage(0x80)),
          ext(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
          ext(OID.subjectAltName, false, seq(san)),
          ext(OID.authorityKeyId, false, seq(implicit(0, this.authorityKeyId))),
        ),
      ),
    );
    return { certPem: certificate(tbs, this.caKey), keyPem: this.leafKeyPem };
  }
}

/** A subjectAltName entry: an IP address for an IP literal, else a DNS name. */
function altName(host: string): Buffer {
  const ip = isIP(host);
  return ip ? implicit(7, ipBytes(host, ip)) : implicit(2, Buffer.from(host, 'ascii'));
}

/** The subject Name of a DER certificate, byte for byte (the leaves' issuer). */
function subjectOf(der: Buffer): Buffer {
  const cert = read(der, 0);
  const tbs = read(der, cert.start);
  let at = tbs.start;
  // version [0], serial, signature algorithm, issuer, validity, then the subject.
  if (read(der, at).tag === 0xa0) at = read(der, at).end;
  for (let i = 0; i < 4; i++) at = read(der, at).end;
  return der.subarray(at, read(der, at).end);
}

function ipBytes(host: string, family: number): Buffer {
  if (family === 4) return Buffer.from(host.split('.').map(Number));
  const [head = '', tail = ''] = host.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = groups(tail);
  const all = host.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.from(all.map((g) => g.padStart(4, '0')).join(''), 'hex');
}

/** Every certificate in a PEM text (an operator's CA file); throws on a block that does not parse. */
export function parseCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}
