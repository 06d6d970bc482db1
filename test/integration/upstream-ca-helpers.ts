import { X509Certificate } from 'node:crypto';
import { GatewayStore } from '../../core/gateway/store.ts';
import { loadUpstreamCa, setUpstreamCa } from '../../core/gateway/upstream-ca.ts';
import { docker } from './egress-helpers.ts';

/**
 * The upstream CAs are one set per Docker host, shared by every test file running against it: a test
 * adds its own CA to what is there and takes only its own away, so parallel files do not undo each other.
 */
const store = new GatewayStore(docker);

const blocks = (pem: string | undefined): string[] => pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

/** The host's current set plus `pem`, as the text of a file for `gateway start --upstream-ca`. */
export async function withHostCas(pem: string): Promise<string> {
  const own = fingerprint(pem);
  return [...blocks(await loadUpstreamCa(store)).filter((b) => fingerprint(b) !== own), pem].join('\n');
}

/** Removes `pem` from the host's set (and from every sandbox), leaving the other files' CAs. */
export async function untrustCa(pem: string): Promise<void> {
  const own = fingerprint(pem);
  const current = blocks(await loadUpstreamCa(store));
  const rest = current.filter((b) => fingerprint(b) !== own);
  if (rest.length !== current.length) await setUpstreamCa(docker, store, rest.length === 0 ? null : rest.join(''));
}

export const hostUpstreamCa = (): Promise<string | undefined> => loadUpstreamCa(store);
