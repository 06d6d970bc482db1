// Client side of the event feeds: sockets that reconnect with backoff and resume from their cursors.
import type { RawData, WebSocket } from 'ws';
import { RemoteError } from '../../errors.ts';
import type { EventBus } from '../../events/bus.ts';
import type { TrafficEvent } from '../../events/traffic.ts';
import type { GatewayEvents, TrafficWatchOptions } from '../types.ts';
import { FEED_EVENTS } from './feeds.ts';
import type { Endpoint } from './transport.ts';
import { fromWire, parseControl, type Control } from './wire.ts';

const BACKOFF_MS = 250;
/** The server pings every 20 s; this long without one means the path died without a close (a dead link). */
const SILENCE_MS = 50_000;
const BACKOFF_MAX_MS = 5000;
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'TIMEOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Worth retrying: the server is away (refused, reset, timed out); not a refused token or certificate. */
function transient(err: unknown): boolean {
  const code = ((err as { cause?: { code?: unknown } } | null)?.cause)?.code;
  return err instanceof RemoteError && typeof code === 'string' && TRANSIENT.has(code);
}

/** One "lost" notice when the first stream drops, one "restored" when the last is back. */
export class Link {
  private readonly down = new Set<object>();
  private since = 0;

  constructor(
    private readonly name: string,
    private readonly notice: (message: string) => void,
  ) {}

  lost(who: object, why: string): void {
    if (this.down.has(who)) return;
    if (this.down.size === 0) {
      this.since = Date.now();
      this.notice(`connection to gateway ${this.name} lost (${why}); reconnecting`);
    }
    this.down.add(who);
  }

  back(who: object): void {
    if (this.down.delete(who) && this.down.size === 0) {
      this.notice(`connection to gateway ${this.name} restored after ${((Date.now() - this.since) / 1000).toFixed(1)}s`);
    }
  }

  forget(who: object): void {
    this.down.delete(who);
  }
}

interface FeedHandlers {
  /** Query of the next connection (cursors change as messages arrive). */
  query(): Record<string, string | undefined>;
  /** 'done' when the server said this feed is over (no reconnect). */
  onMessage(c: Control): 'done' | undefined;
  /** The feed cannot go on (a refused token or certificate, or the first connection failed). */
  onFatal(err: Error): void;
}

/** A running feed: `stop` ends it; `settled` resolves once its first connection attempt is over. */
export interface Feed {
  readonly stop: () => void;
  readonly settled: Promise<void>;
}

/** A WebSocket kept open: after a drop it reconnects with backoff until stopped or told it is done. */
function keepOpen(ep: Endpoint, path: string, link: Link, h: FeedHandlers, opts: { unref: boolean; retryFirst: boolean }): Feed {
  const me = {};
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  let stopped = false;
  let connected = false;
  let attempt = 0;
  let ws: WebSocket | undefined;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (): void => {
    timer = setTimeout(() => void connect(), Math.min(BACKOFF_MAX_MS, BACKOFF_MS * 2 ** attempt++));
    if (opts.unref) timer.unref();
  };
  const connect = async (): Promise<void> => {
    try {
      ws = await ep.socket(path, h.query(), { unref: opts.unref });
    } catch (err) {
      settle();
      if (stopped) return;
      if (!transient(err) || (!connected && !opts.retryFirst)) {
        stopped = true;
        link.forget(me);
        h.onFatal(err as Error);
        return;
      }
      link.lost(me, (err as Error).message.replace(/^.*: /, ''));
      schedule();
      return;
    }
    settle();
    const socket = ws;
    if (stopped) return void socket.close(1000);
    connected = true;
    attempt = 0;
    link.back(me);
    let done = false;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      const c = isBinary ? undefined : parseControl((data as Buffer).toString());
      if (c && h.onMessage(c) === 'done') done = true;
    });
    socket.on('close', (code: number) => {
      if (stopped || done) return;
      link.lost(me, code === 1001 ? 'the gateway is shutting down' : 'connection closed');
      schedule();
    });
    socket.on('error', () => undefined);
    let silence: NodeJS.Timeout | undefined;
    const heard = (): void => {
      clearTimeout(silence);
      silence = setTimeout(() => socket.terminate(), SILENCE_MS).unref();
    };
    heard();
    socket.on('ping', heard);
    socket.on('close', () => clearTimeout(silence));
  };

  void connect();
  const stop = (): void => {
    stopped = true;
    settle();
    clearTimeout(timer);
    link.forget(me);
    if (ws?.readyState === ws?.OPEN) ws?.close(1000);
  };
  return { stop, settled };
}

/** The gateway's shared events (phases, deletions, revisions, notices), resumed from the last seq after a drop. */
export function followEvents(ep: Endpoint, bus: EventBus<GatewayEvents>, link: Link, notice: (m: string) => void): Feed {
  let boot: string | undefined;
  let seq: number | undefined;
  const names: ReadonlySet<string> = new Set(FEED_EVENTS);
  return keepOpen(
    ep,
    '/api/v1/events',
    link,
    {
      query: () => ({ boot, since: seq === undefined ? undefined : String(seq) }),
      onMessage: (c) => {
        if (c.type === 'hello') {
          // The same server run replays what we missed after this; a new run starts from its present.
          if (c.boot !== boot) seq = c.seq;
          boot = c.boot;
        } else if (c.type === 'event' && names.has(c.name)) {
          if (c.seq !== undefined) seq = c.seq;
          bus.emit(c.name as (typeof FEED_EVENTS)[number], c.payload as never);
        }
        return undefined;
      },
      onFatal: (err) => notice(`events of gateway ${ep.name} stopped: ${err.message}`),
    },
    // Watching events alone never keeps a CLI process alive.
    { unref: true, retryFirst: true },
  );
}

/** `watchTraffic` of a served gateway: decisions exactly once, across reconnects, by per-sandbox seq. */
export function followTraffic(
  ep: Endpoint,
  bus: EventBus<GatewayEvents>,
  link: Link,
  name: string | undefined,
  opts: TrafficWatchOptions = {},
): Feed {
  const cursors = new Map<string, number>();
  const seenPolicy = new Set<string>();
  const follow = opts.follow ?? true;
  let ended = false;
  const end = (err?: Error): void => {
    if (ended) return;
    ended = true;
    opts.onEnd?.(err);
  };
  return keepOpen(
    ep,
    '/api/v1/traffic',
    link,
    {
      query: () => ({
        name,
        follow: follow ? '1' : '0',
        sinceSeq: opts.sinceSeq === undefined ? undefined : String(opts.sinceSeq),
        sinceMs: opts.sinceMs === undefined ? undefined : String(opts.sinceMs),
        cursors: cursors.size === 0 ? undefined : JSON.stringify(Object.fromEntries(cursors)),
      }),
      onMessage: (c) => {
        if (c.type === 'end') {
          end(c.error ? fromWire(c.error) : undefined);
          return 'done';
        }
        if (c.type !== 'event') return undefined;
        if (c.name === 'traffic') {
          const e = c.payload as TrafficEvent;
          if (e.seq <= (cursors.get(e.sandbox) ?? opts.sinceSeq ?? -Infinity)) return undefined;
          cursors.set(e.sandbox, e.seq);
          bus.emit('traffic', e);
        } else if (c.name === 'policy.status') {
          const p = c.payload as GatewayEvents['policy.status'];
          const key = `${p.sandbox}|${p.time}|${p.version}|${p.status}`;
          if (seenPolicy.has(key)) return undefined;
          seenPolicy.add(key);
          bus.emit('policy.status', p);
        }
        return undefined;
      },
      onFatal: end,
    },
    // A caller told of the end (`logs -f`) hears at once that the server is away; a pane just waits for it.
    { unref: false, retryFirst: follow && opts.onEnd === undefined },
  );
}
