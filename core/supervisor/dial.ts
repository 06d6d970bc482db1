import { connect, type Socket } from 'node:net';

/** Dials only addresses the guard checked (no second lookup that could rebind), one after the other. */

export type Dialer = (addresses: readonly string[], port: number) => Promise<{ socket: Socket; ip: string }>;

const CONNECT_TIMEOUT_MS = 10_000;

function dialOne(ip: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port, allowHalfOpen: true });
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`connect timed out after ${timeoutMs / 1000}s`)));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('error', fail);
      socket.setTimeout(0);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

export function addressDialer(timeoutMs = CONNECT_TIMEOUT_MS): Dialer {
  return async (addresses, port) => {
    let last: unknown = new Error('no addresses');
    for (const ip of addresses) {
      try {
        return { socket: await dialOne(ip, port, timeoutMs), ip };
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };
}
