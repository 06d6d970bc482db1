import type Docker from 'dockerode';
import type { EventBus } from '../events/bus.ts';
import type { TrafficEvent } from '../events/traffic.ts';
import { dockerStatus } from '../docker/client.ts';
import { NotFoundError } from '../errors.ts';
import { followSupervisor, type SupervisorRecord } from './supervisor-log.ts';
import { policyLine } from './policy-ops.ts';
import type { GatewayEvents, TrafficWatchOptions } from './types.ts';

const RETRY_MS = 1000;
const POLL_MS = 2000;

/** A `decision` line as a TrafficEvent, or null if the line is not one (or is malformed). */
export function toTrafficEvent(r: SupervisorRecord, sandbox: string): TrafficEvent | null {
  if (r.type !== 'decision') return null;
  if (typeof r.seq !== 'number' || (r.action !== 'allow' && r.action !== 'deny') || typeof r.host !== 'string' || typeof r.port !== 'number')
    return null;
  const { type: _type, ...rest } = r;
  // Fields a minimal supervisor line may lack get neutral values; the sandbox is the one being watched.
  const event = { ...rest, sandbox };
  const defaults = { layer: 'l4', binary: '', rule: null, reason: '', time: new Date().toISOString() };
  for (const [k, v] of Object.entries(defaults)) if (!(k in event)) Object.assign(event, { [k]: v });
  return event as unknown as TrafficEvent;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Follows supervisors' logs and emits `traffic` and `policy.status` events. The logs are the durable
 * record (they survive gateway restarts and supervisor restarts), so a reader resumes from a cursor.
 */
export function watchTraffic(
  docker: Docker,
  events: EventBus<GatewayEvents>,
  listNames: () => Promise<string[]>,
  name: string | undefined,
  opts: TrafficWatchOptions = {},
): () => void {
  const abort = new AbortController();
  const follow = opts.follow ?? true;
  const watched = new Set<string>();

  const followOne = async (sandbox: string): Promise<void> => {
    let lastSeq = opts.sinceSeq ?? -Infinity;
    let sinceMs = opts.sinceMs;
    const seenPolicy = new Set<string>();
    while (!abort.signal.aborted) {
      const startedAt = Date.now();
      const { done } = await followSupervisor(docker, sandbox, { follow, ...(sinceMs === undefined ? {} : { sinceMs }), signal: abort.signal }, (r) => {
        const t = toTrafficEvent(r, sandbox);
        if (t) {
          if (t.seq <= lastSeq || (opts.sinceMs !== undefined && Date.parse(t.time) < opts.sinceMs)) return;
          lastSeq = t.seq;
          events.emit('traffic', t);
          return;
        }
        const p = policyLine(r, sandbox);
        const key = p && `${p.time}|${p.version}|${p.status}`;
        if (p && key && !seenPolicy.has(key)) {
          seenPolicy.add(key);
          events.emit('policy.status', p);
        }
      });
      await done;
      if (!follow) return;
      // The supervisor stopped or restarted: pick up again from about where the log ended.
      sinceMs = startedAt - 2000;
      await sleep(RETRY_MS, abort.signal);
    }
  };

  const run = (sandbox: string): Promise<void> => {
    watched.add(sandbox);
    return followOne(sandbox).catch((err: unknown) => {
      watched.delete(sandbox);
      // Watching every sandbox, a deleted one simply ends its watch; a named one reports why it ended.
      if (name !== undefined) opts.onEnd?.(dockerStatus(err) === 404 ? new NotFoundError(`sandbox \`${sandbox}\` no longer exists`, { exitCode: 2 }) : err);
    });
  };

  void (async () => {
    try {
      const names = name === undefined ? await listNames() : [name];
      const all = Promise.all(names.map(run));
      if (!follow) {
        await all;
        opts.onEnd?.();
        return;
      }
      while (name === undefined && !abort.signal.aborted) {
        await sleep(POLL_MS, abort.signal);
        if (abort.signal.aborted) break;
        for (const n of await listNames().catch(() => [])) if (!watched.has(n)) void run(n);
      }
    } catch (err) {
      opts.onEnd?.(err);
    }
  })();
  return () => abort.abort();
}
