import type { Socket } from 'node:net';
import type { Dialer } from './dial.ts';
import { trackFlow, type Flow, type FlowRegistry, type TrackedFlow } from './flows.ts';

/**
 * Idle upstream connections of one client connection, for absolute-form plain HTTP: a client that sends
 * several `GET http://host/…` on one keep-alive connection reaches the upstream over one TCP connection,
 * as it would without a proxy. Every request is still admitted on its own (decision, guard, event); only
 * the dial stage takes an idle connection, and only one to an address the guard just checked for the same
 * host and port. Idle connections are registered as flows, so a policy revision that denies them closes
 * them; they are closed with the client connection, after an idle timeout, or when the upstream leaves.
 */

const IDLE_MS = 30_000;
/** Idle connections kept per client connection (one per host it talks to, in practice). */
const MAX_IDLE = 8;

interface Idle {
  readonly key: string;
  readonly ip: string;
  readonly socket: Socket;
  readonly flow: TrackedFlow;
  readonly forget: () => void;
}

export class UpstreamPool {
  private readonly idle: Idle[] = [];
  private closed = false;

  constructor(private readonly flows: FlowRegistry) {}

  /** A dialer for one request to `host`: an idle connection to one of the checked addresses, else `dial`. */
  dialer(host: string, dial: Dialer): Dialer {
    return async (addresses, port) => {
      const i = this.idle.findIndex((e) => e.key === key(host, port) && addresses.includes(e.ip));
      if (i >= 0) {
        const [e] = this.idle.splice(i, 1) as [Idle];
        e.forget();
        return { socket: e.socket, ip: e.ip };
      }
      return dial(addresses, port);
    };
  }

  /** Keeps a connection whose last response completed (Node's HTTP client emitted `free` on it). */
  release(target: Omit<Flow, 'close'>, socket: Socket): void {
    if (this.closed || socket.destroyed || this.idle.length >= MAX_IDLE) return void socket.destroy();
    const entry: Idle = {
      key: key(target.host, target.port),
      ip: target.ip,
      socket,
      flow: trackFlow(this.flows, target, [socket]),
      forget: () => {
        socket.setTimeout(0);
        socket.off('timeout', unexpected);
        socket.off('close', drop);
        socket.off('data', unexpected);
        entry.flow.unregister();
      },
    };
    // An idle upstream that talks is not reusable (HTTP/1.1 has nothing to say between responses); nor is
    // one idle for too long.
    const unexpected = (): void => void socket.destroy();
    const drop = (): void => {
      const i = this.idle.indexOf(entry);
      if (i >= 0) this.idle.splice(i, 1);
      entry.forget();
    };
    socket.once('close', drop);
    socket.on('data', unexpected);
    socket.setTimeout(IDLE_MS);
    socket.on('timeout', unexpected);
    this.idle.push(entry);
  }

  /** The client connection is gone: its idle upstream connections go with it. */
  close(): void {
    this.closed = true;
    for (const e of this.idle.splice(0)) {
      e.forget();
      e.socket.destroy();
    }
  }

  get size(): number {
    return this.idle.length;
  }
}

const key = (host: string, port: number): string => `${host.toLowerCase()}:${port}`;

const pools = new WeakMap<Socket, UpstreamPool>();

/** The pool of one client connection, made on its first plain-HTTP request. */
export function poolFor(client: Socket, flows: FlowRegistry): UpstreamPool {
  let pool = pools.get(client);
  if (!pool) {
    const made = new UpstreamPool(flows);
    client.once('close', () => made.close());
    pools.set(client, made);
    pool = made;
  }
  return pool;
}
