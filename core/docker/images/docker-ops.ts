import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { Header } from 'tar';
import type { DockerClient } from '../client.ts';
import { dockerStatus } from '../client.ts';

/** The engine id of an image reference, or undefined when there is none. */
export async function findImage(docker: DockerClient, ref: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return info.Id;
  } catch (err) {
    if (dockerStatus(err) === 404) return undefined;
    throw err;
  }
}

interface EngineMessage {
  stream?: string;
  status?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** Reads the engine's newline-delimited JSON progress; an `error` message rejects. */
export async function followJson(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<string | undefined> {
  let pending = '';
  let id: string | undefined;
  const handle = (raw: string): void => {
    if (raw.trim() === '') return;
    let msg: EngineMessage;
    try {
      msg = JSON.parse(raw) as EngineMessage;
    } catch {
      onLine(raw);
      return;
    }
    if (msg.error !== undefined) throw new Error(msg.errorDetail?.message ?? msg.error);
    if (msg.aux?.ID !== undefined) id = msg.aux.ID;
    const text = msg.stream ?? (msg.status === undefined ? undefined : `${msg.status} ${msg.progress ?? ''}`);
    for (const line of (text ?? '').split('\n')) if (line.trim() !== '') onLine(line.trimEnd());
  };
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(handle);
  }
  handle(pending);
  return id;
}

export interface ImportOptions {
  readonly repo: string;
  readonly tag: string;
  readonly changes: readonly string[];
  readonly onBytes: (sent: number, total: number) => void;
}

/** `docker import` of a tarball; the tag appears only once the engine has the whole image. */
export async function importTarball(docker: DockerClient, file: string, opts: ImportOptions): Promise<void> {
  const { size } = await stat(file);
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      opts.onBytes(sent, size);
      done(null, chunk);
    },
  });
  const body = createReadStream(file).pipe(counter);
  const response = await docker.importImage(body, { repo: opts.repo, tag: opts.tag, changes: [...opts.changes] });
  await followJson(response, () => undefined);
}

/** A build context held in memory: a few small files in a ustar archive. */
export function contextArchive(files: Readonly<Record<string, string | Uint8Array>>): Buffer {
  const parts: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    const header = new Header({ path, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: new Date(0), type: 'File' });
    header.encode();
    if (!header.block) throw new Error(`cannot encode a tar header for ${path}`);
    parts.push(header.block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export interface BuildOptions {
  readonly tag: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly buildargs: Readonly<Record<string, string>>;
  readonly nocache: boolean;
  readonly onLine: (line: string) => void;
}

/** `docker build` from an in-memory context; the engine tags only a successful build. */
export async function buildFromContext(
  docker: DockerClient,
  files: Readonly<Record<string, string | Uint8Array>>,
  opts: BuildOptions,
): Promise<string> {
  const response = await docker.buildImage(Readable.from([contextArchive(files)]), {
    t: opts.tag,
    labels: { ...opts.labels },
    buildargs: { ...opts.buildargs },
    nocache: opts.nocache,
    rm: true,
    forcerm: true,
  });
  await followJson(response, opts.onLine);
  const id = await findImage(docker, opts.tag);
  if (id === undefined) throw new Error(`the engine reported success but ${opts.tag} does not exist`);
  return id;
}

export async function tagLatest(docker: DockerClient, id: string, repo: string): Promise<void> {
  await docker.getImage(id).tag({ repo, tag: 'latest' });
}
