import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TofuCache, type Fingerprint, type TofuIo } from '../../../core/supervisor/tofu.ts';
import { fileTofuStore, TOFU_FILE } from '../../../core/supervisor/tofu-store.ts';

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

  it('answers at once, without hashing, only while the fingerprint of the last hash holds', async () => {
    const io = fakeIo();
    const t = new TofuCache(io);
    expect(t.checkKnown('/usr/bin/curl', '/proc/1/exe')).toBeUndefined();
    await t.check('/usr/bin/curl', '/proc/1/exe');
    expect(t.checkKnown('/usr/bin/curl', '/proc/2/exe')).toEqual({ ok: true, hash: 'sha256:a' });
    // Swapped in place: the fingerprint changed, so the known answer no longer counts.
    io.fp = { ...io.fp, ctimeMs: 5 };
    expect(t.checkKnown('/usr/bin/curl', '/proc/2/exe')).toBeUndefined();
    io.content = 'b';
    expect((await t.check('/usr/bin/curl', '/proc/2/exe')).ok).toBe(false);
    expect(t.checkKnown('/usr/bin/curl', '/proc/2/exe')).toMatchObject({ ok: false, trusted: 'sha256:a' });
    expect(io.hashed).toBe(2);
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

  it('keeps first-seen hashes across a restart: a binary swapped while the supervisor was down is caught', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tofu-state-'));
    const io = fakeIo();
    io.content = 'a'.repeat(64);
    const before = new TofuCache(io, fileTofuStore(dir));
    expect((await before.check('/usr/bin/curl', '/proc/1/exe')).ok).toBe(true);
    const saved = JSON.parse(readFileSync(join(dir, TOFU_FILE), 'utf8')) as { binaries: Record<string, string> };
    expect(saved.binaries).toEqual({ '/usr/bin/curl': `sha256:${'a'.repeat(64)}` });
    // "Restart": a new cache over the same directory, the file replaced meanwhile (same fingerprint even).
    io.content = 'b'.repeat(64);
    const after = new TofuCache(io, fileTofuStore(dir));
    const r = await after.check('/usr/bin/curl', '/proc/9/exe');
    expect(r).toMatchObject({ ok: false, trusted: `sha256:${'a'.repeat(64)}` });
    // Without the file the swapped binary would simply be trusted anew.
    expect((await new TofuCache(io).check('/usr/bin/curl', '/proc/9/exe')).ok).toBe(true);
  });

  it('saves atomically and leaves no temporary file; a new binary is added, an old trust never replaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tofu-state-'));
    const io = fakeIo();
    io.content = 'a'.repeat(64);
    const t = new TofuCache(io, fileTofuStore(dir));
    await t.check('/usr/bin/curl', '/proc/1/exe');
    io.content = 'c'.repeat(64);
    await t.check('/usr/bin/git', '/proc/2/exe');
    io.fp = { ...io.fp, ino: 7 };
    await t.check('/usr/bin/curl', '/proc/3/exe');
    expect(readdirSync(dir)).toEqual([TOFU_FILE]);
    const saved = JSON.parse(readFileSync(join(dir, TOFU_FILE), 'utf8')) as { binaries: Record<string, string> };
    expect(saved.binaries).toEqual({ '/usr/bin/curl': `sha256:${'a'.repeat(64)}`, '/usr/bin/git': `sha256:${'c'.repeat(64)}` });
  });

  it('starts empty from a torn or foreign file and reports it, and reports a state dir it cannot write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tofu-state-'));
    writeFileSync(join(dir, TOFU_FILE), '{"version":1,"binaries":{"/usr/bin/cu');
    const errors: string[] = [];
    expect(fileTofuStore(dir, (e) => errors.push(e)).load().size).toBe(0);
    expect(errors[0]).toContain('unreadable');
    writeFileSync(join(dir, TOFU_FILE), JSON.stringify({ version: 1, binaries: { '/bin/x': 'md5:1', rel: `sha256:${'a'.repeat(64)}`, '/bin/ok': `sha256:${'b'.repeat(64)}` } }));
    expect([...fileTofuStore(dir).load().keys()]).toEqual(['/bin/ok']);
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o500);
      const t = new TofuCache(fakeIo(), fileTofuStore(dir, (e) => errors.push(e)));
      expect((await t.check('/usr/bin/curl', '/proc/1/exe')).ok).toBe(true);
      expect(errors.at(-1)).toContain('cannot save');
    } else {
      const missing = join(dir, 'gone', 'deeper');
      const t = new TofuCache(fakeIo(), fileTofuStore(missing, (e) => errors.push(e)));
      expect((await t.check('/usr/bin/curl', '/proc/1/exe')).ok).toBe(true);
      expect(errors.at(-1)).toContain('cannot save');
      expect(existsSync(missing)).toBe(false);
    }
  });
});
