// The only module that knows node-forge: certificates for `gateway serve` without --tls-cert.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { ConfigError } from '../../errors.ts';
import { fingerprintOfPem } from './tls-pin.ts';

export interface ServerCertificate {
  readonly cert: string;
  readonly key: string;
  /** `sha256:<hex>` of the certificate's DER, what clients pin. */
  readonly fingerprint: string;
}

const CERT_FILE = 'server-cert.pem';
const KEY_FILE = 'server-key.pem';

/** A self-signed certificate for these host names and addresses, valid ten years. */
export function selfSigned(names: readonly string[]): { cert: string; key: string } {
  // Node generates the key natively (forge's pure-JS RSA takes seconds); forge only signs.
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKey);
  // A positive serial: the high bit cleared.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
  const subject = [{ name: 'commonName', value: names[0] ?? 'localhost' }, { name: 'organizationName', value: 'openshell gateway' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const altNames = [...new Set(names)].map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(pair.privateKey), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: pair.privateKey };
}

/** Host names the default certificate covers: loopback, this machine, and the listen address. */
export function defaultNames(listenHost: string): string[] {
  const names = ['localhost', '127.0.0.1', '::1', hostname()];
  if (listenHost !== '' && listenHost !== '0.0.0.0' && listenHost !== '::') names.unshift(listenHost);
  return names;
}

/** The state dir's certificate, created once (key mode 0600) and reused so pinned clients keep working. */
export async function ensureSelfSigned(stateDir: string, names: readonly string[]): Promise<ServerCertificate & { created: boolean }> {
  const certPath = join(stateDir, CERT_FILE);
  const keyPath = join(stateDir, KEY_FILE);
  const existing = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]).catch(() => undefined);
  if (existing) return { cert: existing[0], key: existing[1], fingerprint: fingerprintOfPem(existing[0]), created: false };
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const made = selfSigned(names);
  await writeFile(keyPath, made.key, { mode: 0o600 });
  // An existing file keeps its old mode through writeFile: make sure.
  await chmod(keyPath, 0o600);
  await writeFile(certPath, made.cert, { mode: 0o644 });
  return { ...made, fingerprint: fingerprintOfPem(made.cert), created: true };
}

/** A certificate and key given with --tls-cert/--tls-key. */
export async function loadCertificate(certFile: string, keyFile: string): Promise<ServerCertificate> {
  const read = (file: string, what: string): Promise<string> =>
    readFile(file, 'utf8').catch((err: unknown) => {
      throw new ConfigError(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`, { exitCode: 2 });
    });
  const [cert, key] = await Promise.all([read(certFile, 'certificate'), read(keyFile, 'key')]);
  try {
    return { cert, key, fingerprint: fingerprintOfPem(cert) };
  } catch (err) {
    throw new ConfigError(`${certFile} is not a PEM certificate`, { exitCode: 2, cause: err });
  }
}
