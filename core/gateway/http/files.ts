// Server side of the body-streaming methods: `logs` as a chunked text answer, `upload`/`download` as tar bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve, sep } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack, type Headers } from 'tar-fs';
import { UsageError } from '../../errors.ts';
import type { Gateway } from '../types.ts';
import { readJson, sendError, sendJson } from './respond.ts';

export const TAR_TYPE = 'application/x-tar';

/** Tar entries that stay inside `root`: no hard links, no symlinks pointing out of it. */
export function insideOnly(root: string): (name: string, header?: Headers) => boolean {
  const base = resolve(root);
  const inside = (p: string): boolean => p === base || p.startsWith(base + sep);
  return (name, header) => {
    const target = resolve(base, name);
    if (!inside(target)) return true;
    if (header?.type === 'link') return true;
    if (header?.type === 'symlink') {
      const link = (header as { linkname?: string }).linkname ?? '';
      return isAbsolute(link) || !inside(resolve(target, '..', link));
    }
    return false;
  };
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing ${what}`);
  return v;
};

/** `POST /api/v1/logs` `{name, follow, source, tail}` → the lines as they come (the status is sent with the first one). */
export async function serveLogs(gateway: Gateway, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  try {
    const b = await readJson(req);
    const source = b.source === 'agent' || b.source === 'supervisor' ? b.source : 'all';
    const stdout = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
        if (res.destroyed) return cb();
        if (res.write(chunk)) cb();
        else res.once('drain', () => cb());
      },
    });
    await gateway.logs(str(b.name, 'sandbox name'), {
      follow: b.follow === true,
      source,
      ...(typeof b.tail === 'number' ? { tail: b.tail } : {}),
      stdout,
      signal: abort.signal,
    });
    await new Promise((r) => stdout.end(r));
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end();
  } catch (err) {
    sendError(res, err);
  }
}

/** `POST /api/v1/upload?name=&dest=&entry=` with a tar body holding one top-level `entry`. */
export async function serveUpload(gateway: Gateway, req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
  let dir: string | undefined;
  try {
    const name = str(q.get('name'), 'sandbox name');
    const entry = str(q.get('entry'), 'entry');
    if (entry !== basename(entry) || entry === '..' || entry === '.') throw new UsageError(`bad entry name \`${entry}\``);
    dir = await mkdtemp(join(tmpdir(), 'openshell-upload-'));
    await pipeline(req, extract(dir, { ignore: insideOnly(dir), ...({ chown: false } as object) }));
    const dest = q.get('dest');
    await gateway.upload(name, join(dir, entry), dest === null || dest === '' ? undefined : dest);
    sendJson(res, 200, {});
  } catch (err) {
    sendError(res, err);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** `POST /api/v1/download` `{name, path}` → a tar of what the sandbox had at `path`. */
export async function serveDownload(gateway: Gateway, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let dir: string | undefined;
  try {
    const b = await readJson(req);
    dir = await mkdtemp(join(tmpdir(), 'openshell-download-'));
    // Fetched whole first, so a missing path is a clean error answer rather than a broken stream.
    await gateway.download(str(b.name, 'sandbox name'), str(b.path, 'path'), dir);
    res.writeHead(200, { 'Content-Type': TAR_TYPE, 'Cache-Control': 'no-store' });
    await pipeline(pack(dir, { entries: await readdir(dir) }), res);
  } catch (err) {
    sendError(res, err);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
