import type { IncomingMessage } from 'node:http';

/** Beyond this a refused body is not read to its end: the connection is cut instead. */
const DRAIN_CAP = 64 * 1024 * 1024;

export type BodyRead = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly tooLarge: boolean };

/**
 * The request body as text, up to `limit` bytes. A larger body is read on (and dropped) up to a cap,
 * so the client is reading when the 413 arrives instead of meeting a reset while it still sends.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > DRAIN_CAP) {
      req.pause();
      return resolve({ ok: false, tooLarge: true });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
      else if (size > DRAIN_CAP) {
        req.pause();
        resolve({ ok: false, tooLarge: true });
      }
    });
    req.once('end', () => resolve(size > limit ? { ok: false, tooLarge: true } : { ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    req.once('error', () => resolve({ ok: false, tooLarge: false }));
    req.once('aborted', () => resolve({ ok: false, tooLarge: false }));
  });
}
