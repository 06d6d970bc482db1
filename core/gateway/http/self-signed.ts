// Certificates for `gateway serve`: a self-signed one made once (core/tls), or the operator's files.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { selfSignedServer } from '../../tls/ca.ts';
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

/** A self-signed certificate for these host names and addresses, valid ten years (EC P-256). */
export function selfSigned(names: readonly string[]): { cert: string; key: string } {
  const made = selfSignedServer(names);
  return { cert: made.certPem, key: made.keyPem };
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
