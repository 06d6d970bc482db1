import type Docker from 'dockerode';
import { Readable } from 'node:stream';
import { packFiles, unpack } from '../docker/archive.ts';
import { OpenshellError, UsageError } from '../errors.ts';
import { dockerStatus, tolerate } from '../docker/client.ts';
import { LABEL, MANAGED } from '../docker/labels.ts';
import { followJson } from '../docker/images/docker-ops.ts';
import { LOCK_CONTAINER, withStoreLock, type LockOptions } from './store-lock.ts';

/**
 * Gateway-level documents (providers, inference backends, …) kept on the Docker host beside the
 * sandboxes, so a restarted or second client sees the same truth. Nothing runs for it: the files live
 * in a labelled named volume mounted only into a created-but-never-started container of a tiny
 * imported image, and are read and written with the archive API (a local socket or SSH alike).
 *
 * Each document has a revision. A write lands in one of three slot files (`<name>.<rev % 3>.json`,
 * root-only 0600), never the newest one, so a reader without the lock sees the old or the new whole
 * document, never a torn one. Writers serialise through a lock (see store-lock.ts) and check the
 * revision they read, so two clients never silently overwrite each other.
 */

export const STATE_VOLUME = 'openshell-gateway-state';
export const STATE_CONTAINER = 'openshell-gateway-state';
export const STATE_IMAGE = 'openshell/gateway-state:1';
const MOUNT = '/state';
const SLOTS = 3;
const ROLE = 'gateway-state';

/** A document and the revision it was read at (0: never written). `value` null: absent or deleted. */
export interface StoredDoc<T> {
  readonly value: T | null;
  readonly revision: number;
}

/** Another client wrote the document since it was read: read again and redo the change. */
export class StoreConflictError extends OpenshellError {
  constructor(name: string, expected: number, found: number) {
    super(`the gateway document \`${name}\` changed while it was edited (revision ${found}, expected ${expected})`, {
      hint: 'another client changed it at the same time: run the command again',
    });
  }
}

const validName = (name: string): string => {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new UsageError(`invalid gateway document name \`${name}\``);
  return name;
};

/** Files of an archive by base name. */
async function untar(archive: NodeJS.ReadableStream): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const e of await unpack(archive)) if (e.type === 'file') files.set(e.name.slice(e.name.lastIndexOf('/') + 1), e.text);
  return files;
}

interface Slot {
  readonly revision: number;
  readonly value: unknown;
}

/** A slot file, or undefined when it is torn (being rewritten) or foreign. */
function parseSlot(text: string): Slot | undefined {
  try {
    const v = JSON.parse(text) as { revision?: unknown; value?: unknown };
    return typeof v.revision === 'number' && Number.isInteger(v.revision) && v.revision > 0 ? { revision: v.revision, value: v.value ?? null } : undefined;
  } catch {
    return undefined;
  }
}

/** Where the store lives on the host; tests pass their own names so they never touch the user's store. */
export interface StoreOptions {
  readonly volume: string;
  readonly container: string;
  readonly lock: Omit<LockOptions, 'image'>;
}

export const DEFAULT_STORE: StoreOptions = { volume: STATE_VOLUME, container: STATE_CONTAINER, lock: { name: LOCK_CONTAINER } };

export class GatewayStore {
  private ready: Promise<Docker.Container> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly names: StoreOptions = DEFAULT_STORE,
  ) {}

  /** The newest whole revision of `name`. */
  async readDoc<T = unknown>(name: string): Promise<StoredDoc<T>> {
    validName(name);
    const files = await this.readAll();
    let best: Slot | undefined;
    for (let i = 0; i < SLOTS; i++) {
      const text = files.get(`${name}.${i}.json`);
      const slot = text === undefined ? undefined : parseSlot(text);
      if (slot && (!best || slot.revision > best.revision)) best = slot;
    }
    return best ? { value: best.value as T | null, revision: best.revision } : { value: null, revision: 0 };
  }

  /**
   * Writes `value` (null deletes) as the next revision, if the document is still at `expectRevision`;
   * else throws StoreConflictError. Returns the new revision.
   */
  async writeDoc(name: string, value: unknown, opts: { readonly expectRevision: number }): Promise<number> {
    validName(name);
    return this.locked(async () => {
      const current = await this.readDoc(name);
      if (current.revision !== opts.expectRevision) throw new StoreConflictError(name, opts.expectRevision, current.revision);
      return this.put(name, current.revision + 1, value);
    });
  }

  /** Read-modify-write under the lock: `change` sees the current value and returns the next (null deletes). */
  async updateDoc<T, R>(name: string, change: (current: T | null) => { readonly value: T | null; readonly result: R }): Promise<R> {
    validName(name);
    return this.locked(async () => {
      const current = await this.readDoc<T>(name);
      const { value, result } = change(current.value);
      await this.put(name, current.revision + 1, value);
      return result;
    });
  }

  private async put(name: string, revision: number, value: unknown): Promise<number> {
    const text = JSON.stringify({ revision, writtenAt: new Date().toISOString(), value }) + '\n';
    const archive = await packFiles([{ name: `${name}.${revision % SLOTS}.json`, text }]);
    await this.withContainer((c) => c.putArchive(archive, { path: MOUNT }));
    return revision;
  }

  /** The lock container is made from our image, so the image (and the rest) must exist first. */
  private async locked<R>(fn: () => Promise<R>): Promise<R> {
    await this.container();
    return withStoreLock(this.docker, { ...this.names.lock, image: STATE_IMAGE }, fn);
  }

  /** Every file of the volume; a read that overlapped a write (a broken archive) is retried. */
  private async readAll(): Promise<Map<string, string>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.withContainer(async (c) => untar(await c.getArchive({ path: `${MOUNT}/.` })));
      } catch (err) {
        if (attempt >= 3 || dockerStatus(err) !== undefined) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  /** Runs `op` on the state container, making it (again) when it is missing, e.g. after `docker container prune`. */
  private async withContainer<R>(op: (c: Docker.Container) => Promise<R>): Promise<R> {
    try {
      return await op(await this.container());
    } catch (err) {
      if (dockerStatus(err) !== 404) throw err;
      this.ready = undefined;
      return op(await this.container());
    }
  }

  private container(): Promise<Docker.Container> {
    this.ready ??= this.ensure().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /** Image, volume and container, each made only when missing; concurrent clients may race harmlessly. */
  private async ensure(): Promise<Docker.Container> {
    const labels = { [LABEL.managedBy]: MANAGED, [LABEL.role]: ROLE };
    await ensureStateImage(this.docker);
    await this.docker.createVolume({ Name: this.names.volume, Labels: labels });
    const c = this.docker.getContainer(this.names.container);
    try {
      await c.inspect();
    } catch (err) {
      if (dockerStatus(err) !== 404) throw err;
      await tolerate([409], () =>
        this.docker.createContainer({
          name: this.names.container,
          Image: STATE_IMAGE,
          Labels: labels,
          HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: this.names.volume, Target: MOUNT }] },
        }),
      );
    }
    return c;
  }
}

/**
 * A one-directory image (`/state`, 0700), imported from an in-memory archive: no registry, no build,
 * a few hundred bytes over SSH. It holds no program; its containers exist only to carry the volume.
 */
export async function ensureStateImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(STATE_IMAGE).inspect();
    return;
  } catch (err) {
    if (dockerStatus(err) !== 404) throw err;
  }
  const [repo, tag] = STATE_IMAGE.split(':') as [string, string];
  const archive = await packFiles([{ name: 'state', dir: true }]);
  const changes = [`LABEL ${LABEL.managedBy}=${MANAGED}`, 'CMD ["/openshell-no-program"]'];
  const response = await docker.importImage(Readable.from([archive]), { repo, tag, changes });
  await followJson(response, () => undefined);
}
