import type Docker from 'dockerode';
import { hostname } from 'node:os';
import { OpenshellError } from '../errors.ts';
import { dockerStatus, tolerate } from '../docker/client.ts';
import { LABEL, MANAGED } from '../docker/labels.ts';

/**
 * The gateway store's writer lock: a container with a fixed name. Creating it is atomic at the engine
 * (a second create answers 409), so this works for any number of clients, local or over SSH, with no
 * process on the host. A holder that died leaves it behind; once it is `staleMs` old it is taken over,
 * removed by its id so a racing taker never removes a fresh lock. Its age is measured on the engine's
 * clock, then on ours while we wait, so a remote host's clock skew cannot make a live lock look stale.
 */

export const LOCK_CONTAINER = 'openshell-gateway-state-lock';

export interface LockOptions {
  readonly name: string;
  /** The lock container is made from it; it must exist. */
  readonly image: string;
  /** A lock older than this belongs to a client that died (a holder needs well under a second). */
  readonly staleMs?: number;
  /** Give up (StoreBusyError) after waiting this long. */
  readonly waitMs?: number;
}

export class StoreBusyError extends OpenshellError {}

/** Runs `fn` holding the lock. */
export async function withStoreLock<R>(docker: Docker, lock: LockOptions, fn: () => Promise<R>): Promise<R> {
  const id = await acquire(docker, lock);
  try {
    return await fn();
  } finally {
    await tolerate([404, 409], () => docker.getContainer(id).remove({ force: true }));
  }
}

/** How old a lock is by the engine's clock (0 when either time is unreadable). */
async function engineAge(docker: Docker, created: string): Promise<number> {
  const info = (await docker.info()) as { SystemTime?: string };
  const age = Date.parse(info.SystemTime ?? '') - Date.parse(created);
  return Number.isFinite(age) ? Math.max(0, age) : 0;
}

async function acquire(docker: Docker, { name, image, staleMs = 10_000, waitMs = 20_000 }: LockOptions): Promise<string> {
  const deadline = Date.now() + waitMs;
  // Per lock id: its age on the engine's clock when first seen, and our monotonic time then.
  const ages = new Map<string, { age: number; at: number }>();
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    try {
      const c = await docker.createContainer({
        name,
        Image: image,
        Labels: { [LABEL.managedBy]: MANAGED, [LABEL.role]: 'gateway-state-lock', 'openshell.ai/lock-holder': `${hostname()}:${process.pid}` },
        HostConfig: { NetworkMode: 'none' },
      });
      return c.id;
    } catch (err) {
      if (dockerStatus(err) !== 409) throw err;
    }
    const held = await docker
      .getContainer(name)
      .inspect()
      .catch((err: unknown) => {
        if (dockerStatus(err) === 404) return undefined;
        throw err;
      });
    if (held && !ages.has(held.Id)) ages.set(held.Id, { age: await engineAge(docker, held.Created), at: performance.now() });
    const seen = held && ages.get(held.Id);
    if (held && seen && seen.age + (performance.now() - seen.at) > staleMs) {
      await tolerate([404, 409], () => docker.getContainer(held.Id).remove({ force: true }));
      continue;
    }
    if (Date.now() > deadline) {
      const holder = held?.Config.Labels['openshell.ai/lock-holder'] ?? 'another client';
      throw new StoreBusyError(`the gateway state is locked by ${holder}`, {
        hint: `try again; if no openshell command is running, remove it: docker rm -f ${name}`,
      });
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}
