// Server side of the event feeds: the gateway's bus for every client, and one traffic watch per socket.
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Gateway, GatewayEvents } from '../types.ts';
import { toWire, type Control } from './wire.ts';

/** What the shared bus forwards; `traffic` (and its `policy.status`) come per client from `/api/v1/traffic`. */
export const FEED_EVENTS = ['sandbox.phase', 'sandbox.deleted', 'policy.revision', 'policy.status', 'gateway.notice'] as const satisfies readonly (keyof GatewayEvents)[];

const RING = 1000;

const send = (ws: WebSocket, c: Control): void => {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(c));
};

/**
 * Fans the gateway's events out to every `/api/v1/events` socket. Each event gets a sequence number
 * of this server run (`boot`), so a client that reconnects gets what it missed from a bounded ring.
 */
export class EventFeed {
  readonly boot = randomBytes(8).toString('hex');
  private seq = 0;
  private readonly ring: Extract<Control, { type: 'event' }>[] = [];
  private readonly sockets = new Set<WebSocket>();
  private readonly offs: (() => void)[];

  constructor(gateway: Gateway) {
    this.offs = FEED_EVENTS.map((name) => gateway.events.on(name, (payload) => this.publish(name, payload)));
  }

  private publish(name: string, payload: unknown): void {
    const c = { type: 'event' as const, name, payload, seq: ++this.seq };
    this.ring.push(c);
    if (this.ring.length > RING) this.ring.shift();
    for (const ws of this.sockets) send(ws, c);
  }

  /** A new subscriber; `since`/`boot` from its previous connection replay what it missed. */
  add(ws: WebSocket, resume: { boot?: string | null; since?: number }): void {
    send(ws, { type: 'hello', boot: this.boot, seq: this.seq });
    if (resume.boot === this.boot && resume.since !== undefined) {
      for (const c of this.ring) if ((c.seq ?? 0) > resume.since) send(ws, c);
    }
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
  }

  close(): void {
    for (const off of this.offs) off();
    this.sockets.clear();
  }
}

/** Parameters of a traffic socket (query string). `cursors` are the client's last seen seq per sandbox. */
export interface TrafficQuery {
  readonly name?: string;
  readonly sinceSeq?: number;
  readonly sinceMs?: number;
  readonly follow: boolean;
  readonly cursors: Readonly<Record<string, number>>;
}

export function parseTrafficQuery(q: URLSearchParams): TrafficQuery {
  const num = (k: string): number | undefined => {
    const v = q.get(k);
    return v === null || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v);
  };
  let cursors: Record<string, number> = {};
  try {
    const parsed: unknown = JSON.parse(q.get('cursors') ?? '{}');
    if (typeof parsed === 'object' && parsed !== null) cursors = Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'number'));
  } catch {
    cursors = {};
  }
  const name = q.get('name');
  const sinceSeq = num('sinceSeq');
  const sinceMs = num('sinceMs');
  return { ...(name ? { name } : {}), ...(sinceSeq === undefined ? {} : { sinceSeq }), ...(sinceMs === undefined ? {} : { sinceMs }), follow: q.get('follow') !== '0', cursors };
}

/**
 * One client's traffic watch on a gateway object of its own (its bus is private, so clients never see
 * each other's history replays). Decisions at or below the client's cursors are not sent again.
 */
export function serveTraffic(watcher: Gateway, ws: WebSocket, q: TrafficQuery): void {
  const cursors = new Map(Object.entries(q.cursors));
  const offTraffic = watcher.events.on('traffic', (e) => {
    if (e.seq <= (cursors.get(e.sandbox) ?? -Infinity)) return;
    cursors.set(e.sandbox, e.seq);
    send(ws, { type: 'event', name: 'traffic', payload: e });
  });
  const offPolicy = watcher.events.on('policy.status', (e) => send(ws, { type: 'event', name: 'policy.status', payload: e }));
  const named = q.name === undefined ? undefined : cursors.get(q.name);
  const stop = watcher.watchTraffic(q.name, {
    follow: q.follow,
    ...(named !== undefined ? { sinceSeq: named } : q.sinceSeq === undefined ? {} : { sinceSeq: q.sinceSeq }),
    ...(q.sinceMs === undefined ? {} : { sinceMs: q.sinceMs }),
    onEnd: (err) => {
      send(ws, { type: 'end', ...(err === undefined ? {} : { error: toWire(err) }) });
      if (ws.readyState === ws.OPEN) ws.close(1000);
    },
  });
  ws.on('close', () => {
    stop();
    offTraffic();
    offPolicy();
  });
}
