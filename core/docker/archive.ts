// The Docker archive API's tar files, both ways: small text files written root-owned, and read back.
import type Docker from 'dockerode';
import { extract, pack } from 'tar-stream';
import { dockerStatus } from './client.ts';

export interface PackEntry {
  readonly name: string;
  readonly text?: string;
  /** Default 0600 (0700 for a directory). */
  readonly mode?: number;
  readonly dir?: boolean;
}

/** One tar archive of the entries, each owned by root. */
export async function packFiles(entries: readonly PackEntry[]): Promise<Buffer> {
  const tar = pack();
  for (const e of entries) {
    const header = { name: e.name, uid: 0, gid: 0, mtime: new Date() };
    if (e.dir) tar.entry({ ...header, type: 'directory', mode: e.mode ?? 0o700 });
    else tar.entry({ ...header, mode: e.mode ?? 0o600 }, e.text ?? '');
  }
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export interface ArchiveEntry {
  readonly name: string;
  readonly type: 'file' | 'symlink' | 'other';
  /** The file's text ('' for anything else). */
  readonly text: string;
  readonly linkname?: string;
}

/** Every entry of an archive, in order. */
export async function unpack(archive: NodeJS.ReadableStream): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  const ex = extract();
  await new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        const type = header.type === 'file' || header.type === 'symlink' ? header.type : 'other';
        entries.push({ name: header.name, type, text: Buffer.concat(chunks).toString('utf8'), ...(header.linkname ? { linkname: header.linkname } : {}) });
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    archive.on('error', reject);
    archive.pipe(ex);
  });
  return entries;
}

/** The first entry at `path` in a container (created, running or stopped); null when nothing is there. */
export async function readContainerEntry(container: Docker.Container, path: string): Promise<ArchiveEntry | null> {
  let archive: NodeJS.ReadableStream;
  try {
    archive = await container.getArchive({ path });
  } catch (err) {
    if (dockerStatus(err) === 404) return null;
    throw err;
  }
  return (await unpack(archive))[0] ?? null;
}
