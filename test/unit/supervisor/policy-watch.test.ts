import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRevision } from '../../../core/supervisor/policy-file.ts';
import { PolicyWatcher, type PolicyChange } from '../../../core/supervisor/policy-watch.ts';

const POLICY = { version: 1, network_policies: { api: { endpoints: [{ host: 'api.example.com', port: 443 }], binaries: [{ path: '/usr/bin/curl' }] } } };
const revision = (version: number, policy: unknown = POLICY): string =>
  JSON.stringify({ version, hash: `sha256:${String(version).padStart(64, 'a')}`, policy });

describe('the policy revision file', () => {
  it('loads a valid revision into a compiled policy', () => {
    const r = parseRevision(revision(3));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.revision.compiled.decideL4({ host: 'api.example.com', port: 443, binary: '/usr/bin/curl' }).action).toBe('allow');
  });

  it('rejects torn JSON (marked for a retry), bad envelopes and policies the engine rejects', () => {
    expect(parseRevision(revision(3).slice(0, 40))).toMatchObject({ ok: false, torn: true });
    expect(parseRevision('{"version":"3"}')).toMatchObject({ ok: false, torn: false });
    expect(parseRevision(JSON.stringify({ version: 3, hash: 'md5:x', policy: POLICY }))).toMatchObject({ ok: false, version: 3 });
    const bad = parseRevision(revision(4, { version: 1, network_policies: { api: { endpoints: [{ host: '*', port: 443 }], binaries: [] } } }));
    expect(bad).toMatchObject({ ok: false, version: 4 });
    expect(bad.ok ? '' : bad.error).toContain('would match every host');
  });
});

describe('watching the revision file', () => {
  let watcher: PolicyWatcher | undefined;
  afterEach(() => watcher?.stop());

  const setup = (): { dir: string; changes: PolicyChange[]; write: (text: string) => void } => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const changes: PolicyChange[] = [];
    watcher = new PolicyWatcher(dir, (c) => changes.push(c));
    const write = (text: string): void => {
      writeFileSync(join(dir, 'policy.json.tmp'), text);
      renameSync(join(dir, 'policy.json.tmp'), join(dir, 'policy.json'));
    };
    return { dir, changes, write };
  };
  const until = async (fn: () => boolean, ms = 1500): Promise<number> => {
    const t = Date.now();
    while (!fn()) {
      if (Date.now() - t > ms) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
    return Date.now() - t;
  };

  it('reports nothing (deny all stays) without a file, then loads a new revision within a second', async () => {
    const { changes, write } = setup();
    watcher!.start();
    expect(changes).toEqual([]);
    write(revision(1));
    expect(await until(() => changes.length === 1)).toBeLessThan(1000);
    expect(changes[0]).toMatchObject({ status: 'loaded', revision: { version: 1 } });
  });

  it('reports an invalid revision as failed once, and does not reload an unchanged hash', async () => {
    const { changes, write } = setup();
    write(revision(1));
    watcher!.start();
    write(revision(2, { version: 1, nope: true }));
    await until(() => changes.length === 2);
    expect(changes[1]).toMatchObject({ status: 'failed', version: 2 });
    await new Promise((r) => setTimeout(r, 600));
    expect(changes).toHaveLength(2);
    write(revision(1));
    await new Promise((r) => setTimeout(r, 400));
    expect(changes).toHaveLength(2);
  });

  it('retries a torn write instead of failing it, and picks up the completed file', async () => {
    const { dir, changes } = setup();
    watcher!.start();
    const full = revision(5);
    writeFileSync(join(dir, 'policy.json'), full.slice(0, 30));
    await new Promise((r) => setTimeout(r, 120));
    writeFileSync(join(dir, 'policy.json'), full);
    await until(() => changes.length > 0);
    expect(changes).toEqual([expect.objectContaining({ status: 'loaded' })]);
  });
});
