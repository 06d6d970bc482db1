import { join } from 'node:path';
import type { DockerClient } from '../client.ts';
import { assertDockerReachable } from '../client.ts';
import { ensureImportedBase, ensureRegistryBase } from './base.ts';
import { supervisorBundle } from './bundle.ts';
import { findImage, tagLatest } from './docker-ops.ts';
import type { ImageHashes } from './inputs.ts';
import { defaultCacheDir, imageHashes, REPOSITORIES } from './inputs.ts';
import { buildLayer, imageTag } from './layers.ts';
import { withLock } from './lock.ts';
import { stepper } from './progress.ts';
import type { BuildStep, EnsureImagesOptions, EnsuredImages, ImageKind, ImageRef } from './types.ts';

const KINDS: readonly ImageKind[] = ['supervisor', 'sandbox'];

/**
 * The supervisor and sandbox images for the current inputs, building whatever is missing.
 * When both content-hash tags exist this is two inspect calls and no other work.
 */
export async function ensureImages(docker: DockerClient, opts: EnsureImagesOptions = {}): Promise<EnsuredImages> {
  const method = opts.fromRegistry === true ? 'registry' : 'debootstrap';
  const bundle = await supervisorBundle(opts.supervisorEntry);
  const hashes = imageHashes(method, bundle);
  const force = opts.force === true;
  await assertDockerReachable(docker);
  if (!force) {
    const found = await existing(docker, hashes);
    if (found.supervisor && found.sandbox) return { supervisor: found.supervisor, sandbox: found.sandbox };
  }
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const steps: BuildStep[] = method === 'registry' ? ['base', 'supervisor', 'sandbox'] : ['debootstrap', 'import', 'supervisor', 'sandbox'];
  const report = stepper(steps, opts.onProgress);
  const onWait = (pid: number): void =>
    report(steps[0] ?? 'base')(`waiting for another image build (pid ${pid}) to finish`);

  return withLock(
    join(cacheDir, 'images.lock'),
    async () => {
      // Another process may have built them while we waited for the lock.
      const found = force ? {} : await existing(docker, hashes);
      if (found.supervisor && found.sandbox) return { supervisor: found.supervisor, sandbox: found.sandbox };
      const baseOpts = { hash: hashes.base, force, cacheDir, report };
      const baseTag = method === 'registry' ? await ensureRegistryBase(docker, baseOpts) : await ensureImportedBase(docker, baseOpts);
      const layer = async (kind: ImageKind): Promise<ImageRef> => {
        const already = found[kind];
        if (already) {
          report(kind)(`skipped: ${already.tag} exists`);
          return already;
        }
        const layerOpts = { hash: hashes[kind], baseHash: hashes.base, baseTag, bundle, force, report: report(kind) };
        return buildLayer(docker, kind, layerOpts);
      };
      const supervisor = await layer('supervisor');
      const sandbox = await layer('sandbox');
      return { supervisor, sandbox };
    },
    onWait,
  );
}

async function existing(docker: DockerClient, hashes: ImageHashes): Promise<Partial<Record<ImageKind, ImageRef>>> {
  const found: Partial<Record<ImageKind, ImageRef>> = {};
  await Promise.all(
    KINDS.map(async (kind) => {
      const tag = imageTag(kind, hashes[kind]);
      const [id, latest] = await Promise.all([findImage(docker, tag), findImage(docker, `${REPOSITORIES[kind]}:latest`)]);
      if (id === undefined) return;
      // `:latest` follows the images this version uses, also when another version (or checkout) moved it.
      if (latest !== id) await tagLatest(docker, id, REPOSITORIES[kind]);
      found[kind] = { tag, id, hash: hashes[kind], cached: true };
    }),
  );
  return found;
}
