import { rm } from 'node:fs/promises';
import { ImageError } from '../../errors.ts';
import type { DockerClient } from '../client.ts';
import { buildFromContext, findImage, importTarball } from './docker-ops.ts';
import { ImageBuildError, OutputTail, errorText } from './failure.ts';
import { BASE_PACKAGES, HASH_LABEL, KIND_LABEL, REPOSITORIES, SUITE, dockerfileText, shortHash } from './inputs.ts';
import type { StepReporter } from './progress.ts';
import { byteReporter } from './progress.ts';
import { ensureRootfsTarball, rootfsTarballPath } from './rootfs.ts';
import type { BuildStep } from './types.ts';

export interface BaseOptions {
  readonly hash: string;
  readonly force: boolean;
  readonly cacheDir: string;
  readonly report: (step: BuildStep) => StepReporter;
}

const IMPORT_CHANGES = [
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'ENV LANG=C.UTF-8',
  'CMD ["bash"]',
];

export const baseTag = (hash: string): string => `${REPOSITORIES.base}:${shortHash(hash)}`;

/** The shared base from debootstrap + `docker import`; reused while its tag exists. */
export async function ensureImportedBase(docker: DockerClient, opts: BaseOptions): Promise<string> {
  const tag = baseTag(opts.hash);
  const debootstrap = opts.report('debootstrap');
  const imp = opts.report('import');
  if (!opts.force && (await findImage(docker, tag)) !== undefined) {
    debootstrap(`skipped: base image ${tag} exists`);
    imp(`skipped: base image ${tag} exists`);
    return tag;
  }
  // --force means fresh packages too: drop the cached root filesystem so debootstrap runs again.
  if (opts.force) await rm(rootfsTarballPath(opts.cacheDir, opts.hash), { force: true });
  const tarball = await ensureRootfsTarball({ cacheDir: opts.cacheDir, hash: opts.hash, onLine: debootstrap });
  imp(`importing ${tarball} as ${tag}`);
  try {
    await importTarball(docker, tarball, {
      repo: REPOSITORIES.base,
      tag: shortHash(opts.hash),
      changes: IMPORT_CHANGES,
      onBytes: byteReporter(imp, 'sent'),
    });
  } catch (err) {
    throw new ImageBuildError('import', errorText(err), [], { cause: err });
  }
  if ((await findImage(docker, tag)) === undefined) {
    throw new ImageBuildError('import', `the engine accepted the import but ${tag} does not exist`, []);
  }
  return tag;
}

/** The shared base from `debian:<suite>-slim` + apt-get, for hosts that can reach a registry. */
export async function ensureRegistryBase(docker: DockerClient, opts: BaseOptions): Promise<string> {
  const tag = baseTag(opts.hash);
  const report = opts.report('base');
  if (!opts.force && (await findImage(docker, tag)) !== undefined) {
    report(`skipped: base image ${tag} exists`);
    return tag;
  }
  const tail = new OutputTail();
  try {
    await buildFromContext(
      docker,
      { Dockerfile: dockerfileText('base.registry') },
      {
        tag,
        labels: { [HASH_LABEL]: opts.hash, [KIND_LABEL]: 'base' },
        buildargs: { SUITE, PACKAGES: BASE_PACKAGES.join(' ') },
        nocache: opts.force,
        onLine: (line) => {
          tail.push(line);
          report(line);
        },
      },
    );
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageBuildError('base', errorText(err), tail.lines, {
      cause: err,
      hint: 'building from a registry needs `docker pull debian` to work; without one, omit --from-registry',
    });
  }
  return tag;
}
