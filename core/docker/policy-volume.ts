import type Docker from 'dockerode';
import { packFiles, readContainerEntry } from './archive.ts';

/**
 * Files on a sandbox's state volume, reached through the supervisor container with the archive API
 * (works whether the container is created, running or stopped). The agent never mounts this volume.
 */
export const STATE_DIR = '/var/lib/openshell';
export const POLICY_FILE = 'policy.json';
export const REVISIONS_FILE = 'revisions.json';
export const STATUS_FILE = 'policy-status.json';

export interface StateFile {
  readonly name: string;
  readonly text: string;
}

/**
 * Writes the files in one archive, owned by root and readable by root only. There is no atomic rename
 * through the archive API; the supervisor retries a torn read.
 */
export async function writeStateFiles(container: Docker.Container, files: readonly StateFile[]): Promise<void> {
  await container.putArchive(await packFiles(files), { path: STATE_DIR });
}

/** One file's text, or null when it does not exist (yet). */
export async function readStateFile(container: Docker.Container, name: string): Promise<string | null> {
  const entry = await readContainerEntry(container, `${STATE_DIR}/${name}`);
  return entry === null ? null : entry.text;
}

/** Above this a file goes through the archive API instead: one environment string must stay under 128 KiB. */
const MAX_SEED_BYTES = 96 * 1024;
const SEED_ENV = 'OPENSHELL_SEED_';

/**
 * The supervisor's boot, preceded by writing the initial state files from the environment (root-only)
 * where none exist yet, so `policy.json` is on the volume before the supervisor reads
 * it without an archive round trip before start. Null when that cannot apply (a file too large, or a
 * boot that is not a shell script): the caller then writes the files with `writeStateFiles` first.
 */
export function seedStateBoot(
  boot: { Entrypoint: string[]; Env: string[] },
  files: readonly StateFile[],
): { Entrypoint: string[]; Env: string[] } | null {
  const [sh, flag, script] = boot.Entrypoint;
  if (boot.Entrypoint.length !== 3 || sh !== '/bin/sh' || flag !== '-c' || script === undefined) return null;
  if (files.some((f) => Buffer.byteLength(f.text) > MAX_SEED_BYTES || !/^[\w.-]+$/.test(f.name))) return null;
  const fatal = `{ echo '{"type":"fatal","time":"'"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"'","message":"writing the initial state files failed"}'; exit 1; }`;
  // Builtins only (no fork or exec on the boot path); nothing reads the volume yet, so no rename is needed.
  const lines = [
    'umask 077',
    ...files.map((f, i) => `[ -e ${STATE_DIR}/${f.name} ] || printf '%s' "$${SEED_ENV}${i}" > ${STATE_DIR}/${f.name} || ${fatal}`),
    // Docker's default umask again, for the supervisor's own files.
    'umask 022',
    `unset ${files.map((_f, i) => `${SEED_ENV}${i}`).join(' ')}`,
  ];
  return {
    Entrypoint: [sh, flag, [...lines, script].join('\n')],
    Env: [...boot.Env, ...files.map((f, i) => `${SEED_ENV}${i}=${f.text}`)],
  };
}
