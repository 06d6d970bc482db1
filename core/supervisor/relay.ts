import type { Socket } from 'node:net';

export interface RelayStats {
  /** Upstream → client. */
  readonly bytesIn: number;
  /** Client → upstream (including bytes sent with the CONNECT head). */
  readonly bytesOut: number;
  readonly durationMs: number;
}

/**
 * Joins two sockets both ways with back-pressure (pipe) and half-close: an end from one side ends only
 * the other side's writing; the relay is over when both sockets are closed. An error tears both down.
 */
export function relay(client: Socket, upstream: Socket, onDone: (stats: RelayStats) => void): void {
  const started = performance.now();
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const inAtStart = client.bytesWritten;
  let closed = 0;
  const finish = (): void => {
    if (++closed < 2) return;
    onDone({ bytesIn: client.bytesWritten - inAtStart, bytesOut: upstream.bytesWritten, durationMs: Math.round(performance.now() - started) });
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
}
