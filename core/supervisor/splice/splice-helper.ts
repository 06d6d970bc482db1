import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { SPLICE_HELPER } from './helper-source.ts';

/**
 * Bulk tunnels leave Node: once a relayed tunnel has carried enough bytes, both of its sockets are handed
 * to a python3 helper (`helper-source.ts`) over Node's IPC channel, and the kernel moves the rest with
 * splice(2): no copy into user space and no JavaScript per chunk. A relay in Node copies every byte
 * twice through user space and reaches about half of a direct transfer on two cores; splice reaches
 * about 90% (`npm run bench proxy`).
 *
 * Handing a descriptor over needs the socket's native handle (`socket._handle`, what Node's own
 * `subprocess.send(msg, socket)` uses): where it is missing, or the helper is not running, tunnels stay
 * in Node. Nothing about a tunnel's policy changes: it was admitted before, and closing it (a revision,
 * the holder sweep) still goes through its Node socket objects (`relay.ts`), which cut the spliced tunnel.
 */

export interface SpliceResult {
  /** Bytes moved a→b and b→a by the helper. */
  readonly ab: number;
  readonly ba: number;
  readonly error: string | null;
}

export interface SplicedTunnel {
  /** Resolves once the helper has let go of both sockets. */
  readonly done: Promise<SpliceResult>;
  /** Shuts both sockets down (the tunnel was revoked or one side was destroyed in Node). */
  readonly cut: () => void;
}

/** The part of Node's TCP handle used here. */
export interface NativeHandle {
  readStop(): number;
  reading: boolean;
}

/** The native handle of a connected socket, or null when this Node.js does not expose one. */
export function nativeHandle(socket: Socket): NativeHandle | null {
  const handle = (socket as unknown as { _handle?: NativeHandle | null })._handle;
  return handle && typeof handle.readStop === 'function' ? handle : null;
}

const START_TIMEOUT_MS = 3_000;

interface HelperMessage {
  readonly pong?: number;
  readonly works?: boolean;
  readonly done?: number;
  readonly ab?: number;
  readonly ba?: number;
  readonly error?: string | null;
}

export class SpliceHelper {
  private readonly waiting = new Map<number, (r: SpliceResult) => void>();
  private nextId = 1;
  private alive = true;
  /** Tunnels handed over so far (tests, benchmark). */
  handedOff = 0;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: HelperMessage) => {
      if (typeof m.done !== 'number') return;
      const resolve = this.waiting.get(m.done);
      this.waiting.delete(m.done);
      resolve?.({ ab: m.ab ?? 0, ba: m.ba ?? 0, error: m.error ?? null });
    });
    child.on('exit', () => this.gone('the splice helper exited'));
    child.on('error', () => this.gone('the splice helper failed'));
  }

  /** Starts the helper and waits for its answer; null when python3 (3.10+, for os.splice) cannot run it or splice fails. */
  static async start(python = 'python3'): Promise<SpliceHelper | null> {
    let child: ChildProcess;
    try {
      child = spawn(python, ['-c', SPLICE_HELPER], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'json' });
    } catch {
      return null;
    }
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
      child.once('error', () => resolve(false));
      child.once('exit', () => resolve(false));
      child.on('message', (m: HelperMessage) => {
        if (m.pong !== 1) return;
        clearTimeout(timer);
        resolve(m.works === true);
      });
      child.send({ ping: 1 }, (err) => err && resolve(false));
    });
    if (!ok) {
      child.kill('SIGKILL');
      return null;
    }
    // The helper must not keep the supervisor alive, nor outlive it (it exits when the channel closes).
    child.unref();
    child.channel?.unref();
    return new SpliceHelper(child);
  }

  get available(): boolean {
    return this.alive && this.child.connected;
  }

  /**
   * Hands `a` and `b` over. The caller has stopped Node reading both and flushed what Node had read;
   * it keeps the socket objects and destroys them once `done` resolves. Null when the helper is gone.
   */
  handOff(a: NativeHandle, b: NativeHandle): SplicedTunnel | null {
    if (!this.available) return null;
    const id = this.nextId++;
    const done = new Promise<SpliceResult>((resolve) => this.waiting.set(id, resolve));
    const cut = (): void => {
      if (this.waiting.has(id) && this.available) this.child.send({ cut: id }, () => undefined);
    };
    // Handles go one at a time: Node queues the second until the helper acknowledges the first.
    const failed = (err: Error | null): void => {
      if (err) cut();
    };
    this.child.send({ splice: id, side: 'a' }, a as never, failed);
    this.child.send({ splice: id, side: 'b' }, b as never, failed);
    this.handedOff++;
    return { done, cut };
  }

  stop(): void {
    this.gone('the supervisor is stopping');
    this.child.kill('SIGKILL');
  }

  /** Tunnels the helper had end with it (its copies of their sockets are closed): fail closed. */
  private gone(why: string): void {
    this.alive = false;
    for (const resolve of this.waiting.values()) resolve({ ab: 0, ba: 0, error: why });
    this.waiting.clear();
  }
}
