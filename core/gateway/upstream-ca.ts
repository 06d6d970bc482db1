import type Docker from 'dockerode';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, UsageError } from '../errors.ts';
import { containerName } from '../docker/labels.ts';
import { listPodParts } from '../docker/inventory.ts';
import { writeStateFiles } from '../docker/policy-volume.ts';
import type { GatewayStore } from './store.ts';

/**
 * Extra CAs an operator trusts for upstream TLS (a corporate CA, a test CA), set by `gateway start
 * --upstream-ca FILE|none`. Kept in the gateway store on the Docker host (document `upstream-ca`), so
 * every client of that host — local, over SSH, or a served gateway's own process — sees the same set.
 * Written into each sandbox's state volume as `upstream-ca.pem`: at creation, and again into every
 * existing sandbox when it changes (the supervisor watches the file, see core/supervisor/main.ts).
 */

export const UPSTREAM_CA_DOC = 'upstream-ca';
/** The supervisor's copy (state volume); empty text means "public roots only". */
export const UPSTREAM_CA_STATE_FILE = 'upstream-ca.pem';

interface UpstreamCaDoc {
  readonly pem: string;
  readonly subjects: readonly string[];
}

export interface CheckedCa {
  /** Normalised PEM: the certificate blocks only, one after another. */
  readonly pem: string;
  readonly subjects: readonly string[];
}

export interface UpstreamCaResult {
  readonly count: number;
  readonly subjects: readonly string[];
  readonly delivered: readonly string[];
  readonly undelivered: readonly { readonly sandbox: string; readonly error: string }[];
}

const subjectOf = (c: X509Certificate): string => c.subject.replace(/\n/g, ', ');

/**
 * Checks PEM text: one or more `CERTIFICATE` blocks, each an X.509 certificate marked as a CA (basic
 * constraints CA:TRUE). Comments between blocks are allowed; any other PEM block (a private key, a
 * CSR) is refused, so a key pasted by mistake never travels or lands on a volume.
 */
export function checkUpstreamCa(text: string, source: string): CheckedCa {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)];
  const foreign = blocks.find((b) => b[1] !== 'CERTIFICATE');
  if (foreign) throw new UsageError(`${source} holds a \`${foreign[1]}\` block: only CA certificates belong there`, 'expected -----BEGIN CERTIFICATE----- blocks only');
  if (blocks.length === 0) throw new UsageError(`${source} holds no PEM certificate`, 'expected one or more -----BEGIN CERTIFICATE----- blocks');
  const certs = blocks.map((b, i) => {
    try {
      return new X509Certificate(b[0]);
    } catch (err) {
      throw new UsageError(`${source}: certificate ${i + 1} does not parse (${err instanceof Error ? err.message : String(err)})`);
    }
  });
  certs.forEach((c, i) => {
    if (!c.ca) throw new UsageError(`${source}: certificate ${i + 1} (${subjectOf(c)}) is not a CA certificate (no basic constraints CA:TRUE)`, 'pass the CA that signed the server certificate, not the server certificate itself');
  });
  return { pem: certs.map((c) => c.toString()).join(''), subjects: certs.map(subjectOf) };
}

/** `--upstream-ca FILE`, read where the command runs (the file is the caller's); `none` → null (clear). */
export function readUpstreamCaFile(file: string): string | null {
  if (file === 'none') return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read --upstream-ca \`${file}\` (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { exitCode: 2 });
  }
  return checkUpstreamCa(text, `--upstream-ca \`${file}\``).pem;
}

/** The PEM text trusted on this Docker host, or undefined when none is set. */
export async function loadUpstreamCa(store: GatewayStore): Promise<string | undefined> {
  const doc = await store.readDoc<UpstreamCaDoc>(UPSTREAM_CA_DOC);
  return doc.value?.pem || undefined;
}

/**
 * Stores `pem` (checked again here: a served gateway gets it from a client) or clears it (null), then
 * writes it into every sandbox of the host, running or stopped, so new upstream connections use it.
 */
export async function setUpstreamCa(docker: Docker, store: GatewayStore, pem: string | null): Promise<UpstreamCaResult> {
  const checked = pem === null ? null : checkUpstreamCa(pem, 'the upstream CA');
  await store.updateDoc<UpstreamCaDoc, null>(UPSTREAM_CA_DOC, () => ({ value: checked, result: null }));
  const names = [...new Set((await listPodParts(docker)).map((p) => p.name))];
  const results = await Promise.all(
    names.map(async (sandbox) => {
      try {
        await writeStateFiles(docker.getContainer(containerName(sandbox, 'supervisor')), [{ name: UPSTREAM_CA_STATE_FILE, text: checked?.pem ?? '' }]);
        return { sandbox };
      } catch (err) {
        return { sandbox, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  return {
    count: checked?.subjects.length ?? 0,
    subjects: checked?.subjects ?? [],
    delivered: results.filter((r) => r.error === undefined).map((r) => r.sandbox),
    undelivered: results.flatMap((r) => (r.error === undefined ? [] : [{ sandbox: r.sandbox, error: r.error }])),
  };
}
