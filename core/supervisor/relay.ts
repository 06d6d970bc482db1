import type { Socket } from 'node:net';
import { nativeHandle, type SpliceHelper, type SpliceResult } from './splice/splice-helper.ts';

export interface RelayStats {
  /** Upstream → client. */
  readonly bytesIn: number;
  /** Client → upstream (including bytes sent with the CONNECT head). */
  readonly bytesOut: number;
  readonly durationMs: number;
}

export interface RelayOptions {
  /** Takes tunnels over once they have carried `handOffAfter` bytes (`splice/splice-helper.ts`). */
  readonly splice?: SpliceHelper | null;
  readonly handOffAfter?: number;
}

/** Small exchanges stay in Node (a hand-over costs about a round trip to the helper); bulk ones leave. */
export const HAND_OFF_AFTER = 1 << 20;
const EMPTY = Buffer.alloc(0);

/**
 * Joins two sockets both ways with back-pressure (pipe) and half-close: an end from one side ends only
 * the other side's writing; the relay is over when both sockets are closed. An error tears both down.
 * With a splice helper, a tunnel that carries more than `handOffAfter` bytes is handed to it; the socket
 * objects stay here as the tunnel's handles: destroying either (a revision, the holder sweep) cuts it.
 */
export function relay(client: Socket, upstream: Socket, onDone: (stats: RelayStats) => void, opts: RelayOptions = {}): void {
  const started = performance.now();
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const inAtStart = client.bytesWritten;
  let closed = 0;
  let spliced: SpliceResult | null = null;
  let splicing = false;
  const finish = (): void => {
    if (++closed < 2 || (splicing && !spliced)) return;
    onDone({
      bytesIn: client.bytesWritten - inAtStart + (spliced?.ba ?? 0),
      bytesOut: upstream.bytesWritten + (spliced?.ab ?? 0),
      durationMs: Math.round(performance.now() - started),
    });
  };
  const teardown = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.once('close', finish);
  upstream.once('close', finish);
  client.on('error', teardown);
  upstream.on('error', teardown);
  // A side that has finished both reading and writing is closed, so the relay does not hang half-open forever.
  const closeWhenDone = (s: Socket): void => {
    s.once('finish', () => {
      if (s.readableEnded) s.destroy();
    });
    s.once('end', () => {
      if (s.writableFinished) s.destroy();
    });
  };
  closeWhenDone(client);
  closeWhenDone(upstream);
  client.pipe(upstream);
  upstream.pipe(client);

  const splice = opts.splice;
  if (!splice?.available) return;
  const limit = opts.handOffAfter ?? HAND_OFF_AFTER;
  let seen = 0;
  const count = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen < limit) return;
    client.off('data', count);
    upstream.off('data', count);
    void handOff();
  };
  client.on('data', count);
  upstream.on('data', count);

  const open = (s: Socket): boolean => !s.destroyed && s.readable && s.writable && !s.readableEnded && !s.writableEnded;
  const handOff = async (): Promise<void> => {
    const a = nativeHandle(client);
    const b = nativeHandle(upstream);
    if (!a || !b || !open(client) || !open(upstream)) return;
    // Node stops reading both (and must not start again: `reading` stays set), then sends on what it had read.
    client.unpipe(upstream);
    upstream.unpipe(client);
    for (const [s, h] of [[client, a], [upstream, b]] as const) {
      s.pause();
      h.readStop();
      h.reading = true;
    }
    forward(client, upstream);
    forward(upstream, client);
    await Promise.all([flushed(client), flushed(upstream)]);
    // A side that ended meanwhile (or a helper that is gone): Node goes on relaying, half-close included.
    const stayInNode = (): void => {
      if (client.destroyed || upstream.destroyed) return teardown();
      a.reading = false;
      b.reading = false;
      client.pipe(upstream);
      upstream.pipe(client);
    };
    if (!open(client) || !open(upstream)) return stayInNode();
    const tunnel = splice.handOff(a, b);
    if (!tunnel) return stayInNode();
    splicing = true;
    // Destroyed here (revoked, swept, torn down): the helper lets go of the tunnel too.
    client.once('close', tunnel.cut);
    upstream.once('close', tunnel.cut);
    spliced = await tunnel.done;
    // Both closed already (a cut): the stats are complete only now.
    if (closed >= 2) {
      closed = 1;
      finish();
    }
    teardown();
  };
}

function forward(from: Socket, to: Socket): void {
  for (let chunk = from.read() as Buffer | null; chunk !== null; chunk = from.read() as Buffer | null) to.write(chunk);
}

/** Resolves once everything written to `s` has been handed to the kernel. */
function flushed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.writableLength === 0) return resolve();
    s.write(EMPTY, () => resolve());
  });
}
