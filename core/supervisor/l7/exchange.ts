import type { Duplex } from 'node:stream';
import { ChunkedFramer } from './chunked.ts';
import { findHeadEnd, parseResponseHead, type Framing, type HeadError } from './http.ts';
import { write, type ByteReader } from './reader.ts';
import { Refused, refusal } from './refused.ts';

/** One message's bytes on the wire: a request head, a body as framed, a response, an upgraded relay. */

/** The next request head from the agent; null when the connection ended cleanly between requests. */
export async function readHead(r: ByteReader): Promise<Buffer | null> {
  // Lines already checked are not scanned again, so a head dripped byte by byte costs linear time.
  let from = 0;
  for (;;) {
    const end = findHeadEnd(r.buffered, undefined, from);
    if (typeof end !== 'number') throw new Refused(refusal(end.status, { error: 'bad_request', detail: end.error }));
    if (end > 0) return r.take(end);
    from = r.buffered.lastIndexOf(10) + 1;
    if (!(await r.more())) {
      if (r.buffered.length === 0) return null;
      throw new Refused(refusal(400, { error: 'bad_request', detail: 'the connection ended inside a request head' }));
    }
  }
}

/** Copies one body from `from` to `to` as framed; returns the bytes copied. */
export async function copyBody(from: ByteReader, to: Duplex, framing: Framing, side: 'request' | 'response'): Promise<number> {
  if (framing.kind === 'none') return 0;
  if (framing.kind !== 'chunked') {
    const n = framing.kind === 'length' ? framing.length : Infinity;
    return from.pipeTo(to, n).catch((err: Error) => {
      throw new Error(`the ${side} body ended early (${err.message})`);
    });
  }
  // Chunked: every size line and delimiter is checked before its bytes are forwarded.
  const chunked = new ChunkedFramer();
  let copied = 0;
  for (;;) {
    if (from.buffered.length === 0 && !(await from.more())) throw new Error(`the ${side} body ended early`);
    const r = chunked.feed(from.buffered);
    if ('error' in r) throw side === 'request' ? new Refused(refusal(r.status, { error: 'bad_request', detail: r.error })) : new Error(r.error);
    await write(to, from.take(r.used));
    copied += r.used;
    if (r.done) return copied;
  }
}

interface Relayed {
  readonly status: number;
  readonly bytes: number;
  readonly keepAlive: boolean;
  readonly upgraded: boolean;
  readonly headAt: number;
}

/** Streams one response (after any 1xx interim ones) to the client. */
export async function relayResponse(ur: ByteReader, client: Duplex, method: string, upgrade: boolean): Promise<Relayed> {
  let bytes = 0;
  for (;;) {
    let end: number | HeadError = findHeadEnd(ur.buffered, 64 * 1024);
    while (end === -1) {
      if (!(await ur.more()))
        throw bytes === 0 ? new Refused(refusal(502, { error: 'upstream_closed', detail: 'the upstream closed the connection without answering' })) : new Error('the upstream closed');
      end = findHeadEnd(ur.buffered, 64 * 1024);
    }
    const bad = (detail: string): Error =>
      bytes === 0 ? new Refused(refusal(502, { error: 'upstream_bad_response', detail })) : new Error(detail);
    if (typeof end !== 'number') throw bad(`upstream response: ${end.error}`);
    const headAt = performance.now();
    const head = ur.take(end);
    const res = parseResponseHead(head, method);
    if ('error' in res) throw bad(res.error);
    const f = res.framing;
    // A small answer already received whole goes out as one write (one TLS record, one syscall).
    if (res.status >= 200 && (f.kind === 'none' || (f.kind === 'length' && ur.buffered.length >= f.length))) {
      const whole = f.kind === 'none' ? head : Buffer.concat([head, ur.take(f.length)]);
      await write(client, whole);
      return { status: res.status, bytes: bytes + whole.length, keepAlive: res.keepAlive, upgraded: false, headAt };
    }
    if (res.status === 101 && !upgrade) throw bad('the upstream switched protocols without a WebSocket upgrade');
    await write(client, head);
    bytes += head.length;
    if (res.status === 101) return { status: 101, bytes, keepAlive: false, upgraded: true, headAt };
    if (res.status < 200) continue;
    bytes += await copyBody(ur, client, f, 'response');
    return { status: res.status, bytes, keepAlive: res.keepAlive, upgraded: false, headAt };
  }
}

/** Both directions as raw bytes (an upgraded connection nobody judges further). */
export async function rawRelay(client: Duplex, clientBytes: Buffer, up: Duplex, upBytes: Buffer): Promise<void> {
  if (clientBytes.length) up.write(clientBytes);
  if (upBytes.length) client.write(upBytes);
  client.removeAllListeners('data');
  up.removeAllListeners('data');
  client.pipe(up);
  up.pipe(client);
  client.resume();
  up.resume();
  await bothClosed(client, up);
}

/** Resolves once both streams have closed. */
export function bothClosed(a: Duplex, b: Duplex): Promise<void> {
  return new Promise<void>((resolve) => {
    let open = 2;
    const one = (): void => void (--open === 0 && resolve());
    a.once('close', one);
    b.once('close', one);
  });
}
