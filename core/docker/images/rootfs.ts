import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { removeLeftovers, removeTree } from './cleanup.ts';
import { ImageBuildError, OutputTail, errorText } from './failure.ts';
import { BASE_PACKAGES, MIRROR, SUITE, shortHash } from './inputs.ts';
import { runTool } from './run.ts';

export interface RootfsOptions {
  readonly cacheDir: string;
  readonly hash: string;
  readonly onLine: (line: string) => void;
}

export const rootfsTarballPath = (cacheDir: string, hash: string): string =>
  join(cacheDir, 'rootfs', `${SUITE}-${shortHash(hash)}.tar`);

// Files an image never needs: downloaded .debs, apt lists, manuals.
const TRIM = ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/man', 'usr/share/info'];

/**
 * The debootstrapped root filesystem as a tarball, cached by its inputs. It is written in a
 * temporary directory beside the cache and renamed into place, so readers never see half a file.
 * Callers hold the image build lock.
 */
export async function ensureRootfsTarball(opts: RootfsOptions): Promise<string> {
  const target = rootfsTarballPath(opts.cacheDir, opts.hash);
  if (existsSync(target)) {
    const { size } = await stat(target);
    opts.onLine(`using cached root filesystem ${target} (${Math.round(size / 1e6)} MB)`);
    return target;
  }
  const debootstrap = findDebootstrap();
  const tmpRoot = join(opts.cacheDir, 'tmp');
  await mkdir(tmpRoot, { recursive: true });
  await removeLeftovers(tmpRoot);
  await mkdir(join(opts.cacheDir, 'rootfs'), { recursive: true });
  const work = await mkdtemp(join(tmpRoot, 'rootfs-'));
  const tail = new OutputTail();
  try {
    const dir = join(work, 'root');
    const args = ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, SUITE, dir, MIRROR];
    await runTool(debootstrap, args, { tail, onLine: opts.onLine }).catch((err: unknown) => {
      throw new ImageBuildError('debootstrap', errorText(err), tail.lines, {
        cause: err,
        hint: `check that ${MIRROR} is reachable, or use --from-registry where a registry is`,
      });
    });
    await Promise.all(TRIM.map((p) => rm(join(dir, p), { recursive: true, force: true })));
    const tarTmp = join(work, 'rootfs.tar');
    opts.onLine('packing the root filesystem');
    const tarArgs = ['--numeric-owner', '--xattrs', '-C', dir, '--exclude=./dev/*', '--exclude=./proc/*'];
    await runTool('tar', [...tarArgs, '--exclude=./sys/*', '-cf', tarTmp, '.'], { tail }).catch((err: unknown) => {
      throw new ImageBuildError('debootstrap', `packing the root filesystem: ${errorText(err)}`, tail.lines, { cause: err });
    });
    await rename(tarTmp, target);
    return target;
  } finally {
    await removeTree(work);
  }
}

function findDebootstrap(): string {
  const hint = 'install debootstrap and run as root, or build with --from-registry where a registry is reachable';
  if (process.getuid?.() !== 0) {
    throw new ImageBuildError('debootstrap', 'assembling a root filesystem needs root', [], { hint });
  }
  const found = (process.env.PATH ?? '/usr/bin')
    .split(':')
    .concat('/usr/sbin', '/sbin')
    .map((d) => join(d, 'debootstrap'))
    .find((f) => existsSync(f));
  if (found !== undefined) return found;
  throw new ImageBuildError('debootstrap', 'debootstrap is not installed', [], { hint });
}
