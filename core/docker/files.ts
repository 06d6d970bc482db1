import type Docker from 'dockerode';
import { basename, dirname, resolve, sep } from 'node:path';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { pack, extract } from 'tar-fs';
import { NotFoundError, SandboxError } from '../errors.ts';
import { dockerStatus } from './client.ts';

/** Copies a local file or folder into the container at `dest`, owned by the agent's uid/gid. */
export async function uploadTo(
  container: Docker.Container,
  localPath: string,
  dest: string,
  owner: { uid: number; gid: number },
): Promise<void> {
  const abs = resolve(localPath);
  await stat(abs).catch(() => {
    throw new NotFoundError(`no such local file or folder: ${localPath}`, { exitCode: 2 });
  });
  const archive = pack(dirname(abs), {
    entries: [basename(abs)],
    map: (header) => ({ ...header, uid: owner.uid, gid: owner.gid }),
  });
  try {
    await container.putArchive(archive as unknown as NodeJS.ReadableStream, { path: dest });
  } catch (err) {
    if (dockerStatus(err) === 404) throw new SandboxError(`destination folder ${dest} does not exist in the sandbox`);
    throw err;
  }
}

/** Copies `path` out of the container into the local folder `localDest`; refuses entries escaping it. */
export async function downloadFrom(container: Docker.Container, path: string, localDest: string): Promise<void> {
  let archive: NodeJS.ReadableStream;
  try {
    archive = (await container.getArchive({ path }));
  } catch (err) {
    if (dockerStatus(err) === 404) throw new NotFoundError(`no such file or folder in the sandbox: ${path}`, { exitCode: 2 });
    throw err;
  }
  const root = resolve(localDest);
  await pipeline(
    archive,
    extract(root, {
      ignore: (name: string) => !resolve(name).startsWith(root + sep) && resolve(name) !== root,
      ...({ chown: false } as object),
    }),
  );
}
