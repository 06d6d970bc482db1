import type Docker from 'dockerode';
import { PolicyError } from '../errors.ts';
import { formatProblems, PolicyStore, resolvePolicySource, type Policy, type Revision } from '../policy/index.ts';
import { containerName } from '../docker/labels.ts';
import { POLICY_FILE, readStateFile, REVISIONS_FILE, STATUS_FILE, writeStateFiles, type StateFile } from '../docker/policy-volume.ts';
import { ensureStateImage, STATE_IMAGE } from './store.ts';
import { withStoreLock } from './store-lock.ts';

/**
 * A sandbox's policy revisions live on its state volume (`revisions.json`), beside the file the
 * supervisor enforces (`policy.json`), so every client reads the same truth.
 */

/** What the supervisor reads: the revision to enforce. */
export interface PolicyDocument {
  readonly version: number;
  readonly hash: string;
  readonly policy: Policy;
}

export function policyDocument(rev: Revision): PolicyDocument {
  return { version: rev.version, hash: rev.hash, policy: rev.policy };
}

/** The files that deliver `rev` and record every revision; one archive, so both land together. */
export function stateFiles(store: PolicyStore, deliver?: Revision): StateFile[] {
  const files: StateFile[] = [{ name: REVISIONS_FILE, text: JSON.stringify(store.toJSON(), null, 2) + '\n' }];
  if (deliver) files.push({ name: POLICY_FILE, text: JSON.stringify(policyDocument(deliver)) + '\n' });
  return files;
}

/** Revision 1 of a new sandbox: the given policy or the `default` preset, refused with every problem if invalid. */
export async function initialPolicy(given: { readonly text: string; readonly source: string } | undefined): Promise<PolicyStore> {
  const src = given ?? { text: (await resolvePolicySource('default')).text, source: 'preset default' };
  const store = new PolicyStore();
  const result = store.setText(src.text, src.source, { author: process.env.USER ?? 'openshell', source: src.source });
  if (!result.ok) {
    throw new PolicyError(`the policy is invalid; nothing was created\n${formatProblems(result.problems)}`, { exitCode: 1 });
  }
  store.live = true;
  return store;
}

interface StatusFile {
  readonly version: number;
  readonly status: 'loaded' | 'failed';
  readonly error?: string;
}

/** The supervisor's own record of its last load; tolerant, since a torn or foreign file must not break reads. */
export function parseStatusFile(text: string | null): StatusFile | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<Record<keyof StatusFile, unknown>>;
    if (typeof v.version !== 'number' || (v.status !== 'loaded' && v.status !== 'failed')) return null;
    return { version: v.version, status: v.status, ...(typeof v.error === 'string' ? { error: v.error } : {}) };
  } catch {
    return null;
  }
}

/** Applies a status the supervisor reported to a pending revision; true when it changed the store. */
export function applyStatus(store: PolicyStore, s: StatusFile): boolean {
  const rev = store.list().find((r) => r.version === s.version);
  if (!rev || rev.status !== 'pending') return false;
  if (s.status === 'loaded') store.markLoaded(s.version);
  else store.markFailed(s.version, s.error ?? 'the supervisor could not load it');
  return true;
}

export class PolicyState {
  constructor(private readonly docker: Docker) {}

  private supervisor(name: string): Docker.Container {
    return this.docker.getContainer(containerName(name, 'supervisor'));
  }

  /** The stored revisions, with any status the supervisor recorded while no gateway watched. */
  async load(name: string): Promise<PolicyStore> {
    return (await this.loadReconciled(name)).store;
  }

  private async loadReconciled(name: string): Promise<{ store: PolicyStore; reconciled: boolean }> {
    const c = this.supervisor(name);
    const [text, status] = await Promise.all([readStateFile(c, REVISIONS_FILE), readStateFile(c, STATUS_FILE).catch(() => null)]);
    if (text === null) return { store: new PolicyStore({ live: true }), reconciled: false };
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new PolicyError(`the policy revisions of sandbox \`${name}\` are unreadable`, { cause: err });
    }
    const store = PolicyStore.fromJSON(data);
    const s = parseStatusFile(status);
    return { store, reconciled: s !== null && applyStatus(store, s) };
  }

  /**
   * Runs `fn` holding this sandbox's policy lock (a container created atomically at the engine, as the
   * gateway store's lock): revisions are read, changed and written by one client at a time.
   */
  async exclusive<R>(name: string, fn: () => Promise<R>): Promise<R> {
    this.stateImage ??= ensureStateImage(this.docker).catch((err: unknown) => {
      this.stateImage = undefined;
      throw err;
    });
    await this.stateImage;
    return withStoreLock(this.docker, { name: `openshell-${name}-policy-lock`, image: STATE_IMAGE }, fn);
  }

  private stateImage: Promise<void> | undefined;

  async save(name: string, store: PolicyStore, deliver?: Revision): Promise<void> {
    await writeStateFiles(this.supervisor(name), stateFiles(store, deliver));
  }

  async revisions(name: string): Promise<Revision[]> {
    return [...(await this.load(name)).list()];
  }

  async get(name: string, version?: number): Promise<Revision> {
    const store = await this.load(name);
    if (version !== undefined) return store.get(version);
    const latest = store.latest();
    if (!latest) throw new PolicyError(`sandbox \`${name}\` has no policy revisions`, { hint: 'it was created before policies were stored; recreate it' });
    return latest;
  }

  /** Records the supervisor's verdict on `version` (re-read first: another client may have written since). */
  async record(name: string, s: StatusFile): Promise<Revision | undefined> {
    const { store, reconciled } = await this.loadReconciled(name);
    if (applyStatus(store, s) || reconciled) await this.save(name, store);
    return store.list().find((r) => r.version === s.version);
  }
}
