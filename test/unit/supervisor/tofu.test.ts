import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TofuCache, type Fingerprint, type TofuIo } from '../../../core/supervisor/tofu.ts';

function fakeIo(): TofuIo & { fp: Fingerprint; content: string; hashed: number } {
  const io = {
    fp: { size: 10, mtimeMs: 1, ctimeMs: 1, dev: 1, ino: 1 },
    content: 'a',
    hashed: 0,
    stat: () => ({ ...io.fp }),
    hash: () => {
      io.hashed++;
      return Promise.resolve(`sha256:${io.content}`);
    },
  };
  return io;
}

describe('trust on first use', () => {
  it('hashes a binary once and trusts that hash while the fingerprint holds', async () => {
    const io = fakeIo();
    const t = new TofuCache(io);
    expect(await t.check('/usr/bin/curl', '/proc/1/exe')).toEqual({ ok: true, hash: 'sha256:a' });
    for (let i = 0; i < 5; i++) await t.check('/usr/bin/curl', '/proc/2/exe');
    expect(io.hashed).toBe(1);
  });

  it('re-hashes when the fingerprint changes and reports a changed hash as tampered', async () => {
    const io = fakeIo();
    const t = new TofuCache(io);
    await t.check('/usr/bin/curl', '/proc/1/exe');
    io.fp = { ...io.fp, mtimeMs: 2 };
    expect(await t.check('/usr/bin/curl', '/proc/1/exe')).toEqual({ ok: true, hash: 'sha256:a' });
    expect(io.hashed).toBe(2);
    io.fp = { ...io.fp, ino: 9 };
    io.content = 'b';
    const r = await t.check('/usr/bin/curl', '/proc/1/exe');
    expect(r).toMatchObject({ ok: false, hash: 'sha256:b', trusted: 'sha256:a' });
    expect(r.ok ? '' : r.reason).toContain('changed since first use');
    // It stays untrusted: the first hash is the identity, not the latest one.
    expect((await t.check('/usr/bin/curl', '/proc/1/exe')).ok).toBe(false);
  });

  it('works on real files: a replaced file at the same path is caught', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tofu-'));
    const f = join(dir, 'tool');
    writeFileSync(f, 'one');
    const t = new TofuCache();
    expect((await t.check(f, f)).ok).toBe(true);
    writeFileSync(f, 'two!');
    expect((await t.check(f, f)).ok).toBe(false);
  });
});
