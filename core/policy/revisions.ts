import { z } from 'zod';
import { PolicyError } from '../errors.ts';
import { loadPolicy } from './load.ts';
import { formatPath, type Problem } from './problems.ts';
import { validatePolicy } from './validate.ts';
import { policySchema, type Policy } from './schema.ts';
import { canonicalJson, policyHash } from './serialize.ts';

export type RevisionStatus = 'pending' | 'loaded' | 'failed' | 'superseded';

export interface Revision {
  readonly version: number;
  readonly hash: string;
  readonly author: string;
  /** Where the change came from: `cli`, `tui`, `draft`, `rollback`, a file name… */
  readonly source: string;
  readonly createdAt: string;
  readonly status: RevisionStatus;
  readonly error: string | null;
  readonly policy: Policy;
}

export interface ChangeMeta {
  readonly author: string;
  readonly source: string;
}

export type SetResult = { readonly revision: Revision; readonly changed: boolean };
export type SetTextResult = ({ readonly ok: true } & SetResult) | { readonly ok: false; readonly problems: readonly Problem[] };

const STATIC = ['filesystem_policy', 'landlock', 'process'] as const;

const storeJson = z.object({
  live: z.boolean(),
  revisions: z.array(
    z.object({
      version: z.number().int().positive(),
      hash: z.string(),
      author: z.string(),
      source: z.string(),
      createdAt: z.string(),
      status: z.enum(['pending', 'loaded', 'failed', 'superseded']),
      error: z.string().nullable(),
      policy: policySchema,
    }),
  ),
});
export type PolicyStoreJson = z.infer<typeof storeJson>;

function hasTcp(p: Policy): boolean {
  return Object.values(p.network_policies ?? {}).some((r) => r.endpoints.some((e) => e.protocol === 'tcp'));
}

/**
 * Numbered policy revisions of one sandbox, in memory and serialisable. Identical content never makes a
 * new revision; a rollback is a new revision equal to an old one; a bad file never becomes a revision.
 */
export class PolicyStore {
  private revisions: Revision[] = [];
  /** A running sandbox: its static sections are frozen. */
  live: boolean;
  private readonly now: () => Date;

  constructor(options: { live?: boolean; now?: () => Date } = {}) {
    this.live = options.live ?? false;
    this.now = options.now ?? (() => new Date());
  }

  list(): readonly Revision[] {
    return this.revisions;
  }
  latest(): Revision | null {
    return this.revisions.at(-1) ?? null;
  }
  /** The newest revision the sandbox reported as loaded: what is being enforced. */
  active(): Revision | null {
    return this.revisions.findLast((r) => r.status === 'loaded') ?? null;
  }
  get(version: number): Revision {
    const rev = this.revisions.find((r) => r.version === version);
    if (!rev) throw new PolicyError(`no policy revision ${version}`, { hint: `revisions are 1–${this.revisions.length}` });
    return rev;
  }

  set(policy: Policy, meta: ChangeMeta): SetResult {
    const parsed = policySchema.safeParse(policy);
    const problem = parsed.success ? validatePolicy(parsed.data).find((p) => p.severity === 'error') : undefined;
    if (!parsed.success || problem)
      throw new PolicyError('refusing to store an invalid policy', {
        hint: problem ? `${formatPath(problem.path)}: ${problem.message}` : parsed.error?.issues[0]?.message,
      });
    const clean = parsed.data;
    const hash = policyHash(clean);
    const prev = this.latest();
    if (prev?.hash === hash) return { revision: prev, changed: false };
    if (this.live && prev) this.checkStatic(prev.policy, clean);
    this.revisions = this.revisions.map((r) => (r.status === 'pending' ? { ...r, status: 'superseded' } : r));
    const revision: Revision = {
      version: (prev?.version ?? 0) + 1,
      hash,
      author: meta.author,
      source: meta.source,
      createdAt: this.now().toISOString(),
      status: 'pending',
      error: null,
      policy: clean,
    };
    this.revisions.push(revision);
    return { revision, changed: true };
  }

  /** Load text and store it; any problem leaves the store exactly as it was. */
  setText(text: string, file: string, meta: ChangeMeta): SetTextResult {
    const loaded = loadPolicy(text, file);
    if (!loaded.ok) return { ok: false, problems: loaded.problems };
    return { ok: true, ...this.set(loaded.policy, meta) };
  }

  rollback(version: number, meta: ChangeMeta): SetResult {
    return this.set(this.get(version).policy, { ...meta, source: `rollback to ${version}` });
  }

  markLoaded(version: number): void {
    this.get(version);
    this.revisions = this.revisions.map((r) =>
      r.version === version ? { ...r, status: 'loaded', error: null } : r.version < version && (r.status === 'loaded' || r.status === 'pending') ? { ...r, status: 'superseded' } : r,
    );
  }

  markFailed(version: number, error: string): void {
    this.get(version);
    this.revisions = this.revisions.map((r) => (r.version === version ? { ...r, status: 'failed', error } : r));
  }

  private checkStatic(before: Policy, after: Policy): void {
    const changed = STATIC.filter((k) => canonicalJson(before[k] ?? null) !== canonicalJson(after[k] ?? null));
    if (changed.length > 0)
      throw new PolicyError(
        `${changed.map((k) => `\`${k}\``).join(', ')} cannot change on a running sandbox`,
        { hint: 'only network_policies reload live; recreate the sandbox to change filesystem, landlock or process settings' },
      );
    if (!hasTcp(before) && hasTcp(after))
      throw new PolicyError('the first `protocol: tcp` endpoint cannot be added to a running sandbox', { hint: 'recreate the sandbox with it' });
  }

  toJSON(): PolicyStoreJson {
    return { live: this.live, revisions: this.revisions.map((r) => ({ ...r })) };
  }

  static fromJSON(data: unknown, options: { now?: () => Date } = {}): PolicyStore {
    const parsed = storeJson.safeParse(data);
    if (!parsed.success) throw new PolicyError('stored policy revisions are unreadable', { cause: parsed.error });
    const store = new PolicyStore({ live: parsed.data.live, ...options });
    store.revisions = parsed.data.revisions;
    return store;
  }
}
