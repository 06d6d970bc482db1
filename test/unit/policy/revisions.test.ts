import { describe, expect, it } from 'vitest';
import { addEndpoint, PolicyStore, type Policy } from '../../../core/policy/index.ts';

const base: Policy = {
  version: 1,
  filesystem_policy: { include_workdir: true, read_only: ['/usr'], read_write: ['/tmp'] },
  network_policies: {},
};
const meta = { author: 'ana', source: 'cli' };
const clock = () => new Date('2026-01-02T03:04:05Z');

describe('PolicyStore', () => {
  it('numbers revisions, and identical content does not make a new one', () => {
    const store = new PolicyStore({ now: clock });
    const first = store.set(base, meta);
    expect(first).toMatchObject({ changed: true, revision: { version: 1, author: 'ana', source: 'cli', status: 'pending', createdAt: '2026-01-02T03:04:05.000Z' } });
    expect(first.revision.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Same content with keys in another order is the same policy.
    const again = store.set({ network_policies: {}, filesystem_policy: { read_write: ['/tmp'], read_only: ['/usr'], include_workdir: true }, version: 1 }, meta);
    expect(again).toEqual({ revision: first.revision, changed: false });
    expect(store.list()).toHaveLength(1);
  });

  it('rolls back by making a new revision equal to the old one', () => {
    const store = new PolicyStore({ now: clock });
    store.set(base, meta);
    store.set(addEndpoint(base, 'npm', { host: 'registry.npmjs.org', port: 443 }, ['/usr/bin/node']).policy, meta);
    const back = store.rollback(1, { author: 'ana', source: 'tui' });
    expect(back.revision).toMatchObject({ version: 3, hash: store.get(1).hash, source: 'rollback to 1' });
    expect(back.revision.policy).toEqual(store.get(1).policy);
    expect(() => store.rollback(9, meta)).toThrow(/no policy revision 9/);
  });

  it('tracks status: loaded supersedes older revisions, failed keeps the last good one active', () => {
    const store = new PolicyStore({ now: clock });
    store.set(base, meta);
    store.markLoaded(1);
    store.set(addEndpoint(base, 'a', { host: 'a.example.com', port: 443 }, ['/bin/a']).policy, meta);
    store.markFailed(2, 'supervisor rejected it');
    expect(store.active()?.version).toBe(1);
    expect(store.get(2)).toMatchObject({ status: 'failed', error: 'supervisor rejected it' });
    store.set(addEndpoint(base, 'b', { host: 'b.example.com', port: 443 }, ['/bin/b']).policy, meta);
    store.markLoaded(3);
    expect(store.list().map((r) => r.status)).toEqual(['superseded', 'failed', 'loaded']);
  });

  it('never stores a policy that fails to load', () => {
    const store = new PolicyStore({ now: clock });
    store.set(base, meta);
    const r = store.setText('version: 1\nnetwork_policies:\n  a: { endpoint: [] }\n', 'bad.yaml', meta);
    expect(r.ok).toBe(false);
    expect(store.list()).toHaveLength(1);
    expect(store.latest()?.policy).toEqual(base);
    expect(() => store.set({ ...base, filesystem_policy: { read_write: ['/'] } }, meta)).toThrow('refusing to store an invalid policy');
    expect(store.list()).toHaveLength(1);
  });

  it('refuses to change static sections on a live sandbox, and says so', () => {
    const store = new PolicyStore({ live: true, now: clock });
    store.set(base, meta);
    expect(() => store.set({ ...base, filesystem_policy: { read_only: ['/usr', '/opt'] } }, meta)).toThrow(
      '`filesystem_policy` cannot change on a running sandbox',
    );
    expect(() => store.set({ ...base, process: { run_as_user: '1000' } }, meta)).toThrow(/`process` cannot change/);
    expect(store.set(addEndpoint(base, 'a', { host: 'a.example.com', port: 443 }, ['/bin/a']).policy, meta).changed).toBe(true);
  });

  it('round-trips through JSON', () => {
    const store = new PolicyStore({ now: clock });
    store.set(base, meta);
    store.markLoaded(1);
    const copy = PolicyStore.fromJSON(JSON.parse(JSON.stringify(store)));
    expect(copy.list()).toEqual(store.list());
    expect(() => PolicyStore.fromJSON({ live: 1 })).toThrow(/unreadable/);
  });
});
