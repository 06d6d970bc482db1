import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ImageKind } from './types.ts';

/** Bump when the way images are assembled changes, so old tags stop matching. */
export const BUILD_METHOD_VERSION = 1;
export const SUITE = 'bookworm';
export const MIRROR = 'http://deb.debian.org/debian';

/** What each image needs on top of a minimal Debian. */
export const IMAGE_PACKAGES: Readonly<Record<ImageKind, readonly string[]>> = {
  // python3: the netlink launcher (boot.ts) and the helpers (sockdiag.ts, splice/); each falls back without it.
  supervisor: ['ca-certificates', 'iptables', 'nodejs', 'procps', 'python3'],
  sandbox: ['bash', 'ca-certificates', 'curl', 'git', 'nodejs', 'passwd', 'procps', 'python3'],
};

/** One root filesystem serves both images: a single debootstrap is cheaper than two. */
export const BASE_PACKAGES: readonly string[] = [...new Set(Object.values(IMAGE_PACKAGES).flat())].sort();

export const REPOSITORIES = {
  base: 'openshell/base',
  supervisor: 'openshell/supervisor',
  sandbox: 'openshell/sandbox',
} as const;

export const HASH_LABEL = 'openshell.ai/content-hash';
export const KIND_LABEL = 'openshell.ai/image';

export const SUPERVISOR_BUNDLE_PATH = '/opt/openshell/supervisor.mjs';

export type DockerfileName = 'supervisor' | 'sandbox' | 'base.registry';

export function dockerfileText(name: DockerfileName): string {
  return readFileSync(new URL(`./${name}.Dockerfile`, import.meta.url), 'utf8');
}

export function defaultCacheDir(): string {
  const root = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(root, 'openshell');
}

/** sha256 over length-prefixed parts, so ("ab","c") and ("a","bc") differ. */
export function contentHash(parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    h.update(`${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest('hex');
}

export type BaseMethod = 'debootstrap' | 'registry';

export function baseHash(method: BaseMethod): string {
  const recipe = method === 'registry' ? dockerfileText('base.registry') : `debootstrap --variant=minbase ${MIRROR}`;
  return contentHash([`method-v${BUILD_METHOD_VERSION}`, method, SUITE, BASE_PACKAGES.join(','), recipe]);
}

export interface ImageHashes {
  readonly base: string;
  readonly supervisor: string;
  readonly sandbox: string;
}

export function imageHashes(method: BaseMethod, bundle: Uint8Array): ImageHashes {
  const base = baseHash(method);
  return {
    base,
    supervisor: contentHash([base, dockerfileText('supervisor'), bundle]),
    sandbox: contentHash([base, dockerfileText('sandbox')]),
  };
}

export const shortHash = (hash: string): string => hash.slice(0, 12);
