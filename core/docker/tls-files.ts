import type Docker from 'dockerode';
import { posix } from 'node:path';
import { packFiles, readContainerEntry } from './archive.ts';
import { STATE_DIR } from './policy-volume.ts';
import type { CaMaterial } from '../tls/ca.ts';

/**
 * TLS interception's files. The CA key (and the operator's upstream CAs) go to the supervisor's state
 * volume, root-only; the agent gets its own read-only volume holding only the CA certificate and a
 * bundle of its image's system roots plus that CA, and the usual variables pointing at them.
 */

/** Where the agent (and the supervisor, writable) mount the `tls` volume. */
export const AGENT_TLS_DIR = '/etc/openshell-tls';
export const CA_FILE = 'openshell-ca.pem';
export const BUNDLE_FILE = 'ca-bundle.pem';

/** Upstream's variables: the CA alone for Node and Deno (they add it), the full bundle for the rest. */
export function tlsEnv(): Record<string, string> {
  const ca = `${AGENT_TLS_DIR}/${CA_FILE}`;
  const bundle = `${AGENT_TLS_DIR}/${BUNDLE_FILE}`;
  return { SSL_CERT_FILE: bundle, REQUESTS_CA_BUNDLE: bundle, CURL_CA_BUNDLE: bundle, GIT_SSL_CAINFO: bundle, NODE_EXTRA_CA_CERTS: ca, DENO_CERT: ca };
}

const CA_ENV = 'OPENSHELL_CA_CERT';
const DEBIAN_ROOTS = '/etc/ssl/certs/ca-certificates.crt';

/** openshell's own agent image has the supervisor's Debian roots: its bundle needs no engine round trip. */
export function sharesSupervisorRoots(image: string): boolean {
  return image.startsWith('openshell/sandbox:');
}

/**
 * The supervisor's boot script, preceded by writing the agent's CA file (and, for our own image, the
 * bundle from the supervisor's identical roots) onto the `tls` volume before the fence line, so the
 * agent, which starts after that line, finds them. The certificate is public; the key never goes here.
 */
export function tlsBoot(boot: { Entrypoint: string[]; Env: string[] }, caCertPem: string, bundle: boolean): { Entrypoint: string[]; Env: string[] } | null {
  const [sh, flag, script] = boot.Entrypoint;
  if (boot.Entrypoint.length !== 3 || sh !== '/bin/sh' || flag !== '-c' || script === undefined) return null;
  const ca = `${AGENT_TLS_DIR}/${CA_FILE}`;
  const lines = [
    `printf '%s' "$${CA_ENV}" > ${ca}`,
    // Kept across restarts: for another image the gateway writes that image's own bundle here.
    ...(bundle ? [`[ -s ${AGENT_TLS_DIR}/${BUNDLE_FILE} ] || cat ${DEBIAN_ROOTS} ${ca} > ${AGENT_TLS_DIR}/${BUNDLE_FILE}`] : []),
    `unset ${CA_ENV}`,
  ];
  return { Entrypoint: [sh, flag, [...lines, script].join('\n')], Env: [...boot.Env, `${CA_ENV}=${caCertPem}`] };
}

/** System trust stores of the common distributions (Debian/Ubuntu/Alpine, Fedora/RHEL, others). */
const ROOT_STORES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem', '/etc/ssl/ca-bundle.pem'];

/** The agent image's own roots, read from its (created, not yet started) container; '' when it has none. */
export async function agentRoots(agent: Docker.Container): Promise<string> {
  for (const path of ROOT_STORES) {
    const got = await readFile(agent, path);
    if (got === null) continue;
    if (typeof got === 'string') return got;
    // A symbolic link (Alpine's cert.pem): one hop, resolved inside the image.
    const again = await readFile(agent, posix.resolve(posix.dirname(path), got.link));
    if (typeof again === 'string') return again;
  }
  return '';
}

async function readFile(c: Docker.Container, path: string): Promise<string | { link: string } | null> {
  const entry = await readContainerEntry(c, path);
  if (entry?.type === 'symlink' && entry.linkname) return { link: entry.linkname };
  return entry?.type === 'file' ? entry.text : null;
}

/**
 * The CA key, its certificate and the operator's upstream CAs on the state volume (0600, root). The key
 * comes last in the archive: once it exists the others are complete (the supervisor waits for it).
 */
export async function writeCaState(supervisor: Docker.Container, ca: CaMaterial, upstreamCa: string | undefined): Promise<void> {
  const files = [
    ...(upstreamCa ? [{ name: 'upstream-ca.pem', text: upstreamCa, mode: 0o600 }] : []),
    { name: 'ca.pem', text: ca.certPem, mode: 0o600 },
    { name: 'ca-key.pem', text: ca.keyPem, mode: 0o600 },
  ];
  await supervisor.putArchive(await packFiles(files), { path: STATE_DIR });
}

/** The agent-readable files, written through the supervisor (the agent's mount is read-only). */
export async function writeAgentTls(supervisor: Docker.Container, ca: CaMaterial, roots: string): Promise<void> {
  const sep = roots === '' || roots.endsWith('\n') ? '' : '\n';
  const files = [
    { name: CA_FILE, text: ca.certPem, mode: 0o644 },
    { name: BUNDLE_FILE, text: `${roots}${sep}${ca.certPem}`, mode: 0o644 },
  ];
  await supervisor.putArchive(await packFiles(files), { path: AGENT_TLS_DIR });
}
