import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenStore } from '../../../core/gateway/http/tokens.ts';

describe('served-gateway token store', () => {
  let dir: string;
  let file: string;
  let now: number;
  const clock = (): number => now;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'auth-tokens-'));
    file = join(dir, 'auth', 'tokens.json');
    now = Date.parse('2026-01-01T00:00:00Z');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps only a sha256 of each token, in a 0600 file inside a 0700 directory', () => {
    const store = new TokenStore(file, clock);
    const { token, record } = store.issue('alice@laptop');
    const text = readFileSync(file, 'utf8');
    expect(token).toMatch(/^osg_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(text).not.toContain(token.split('.')[1]);
    expect(text).toContain(record.hash);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'auth')).mode & 0o777).toBe(0o700);
  });

  it('accepts the issued token and refuses a changed secret, an unknown id and garbage', () => {
    const store = new TokenStore(file, clock);
    const { token, record } = store.issue('alice@laptop');
    expect(store.verify(token)).toMatchObject({ ok: true, record: { id: record.id, subject: 'alice@laptop' } });
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(store.verify(flipped)).toEqual({ ok: false, reason: 'unknown token' });
    expect(store.verify(token.replace(record.id, '0123456789abcdef'))).toEqual({ ok: false, reason: 'unknown token' });
    expect(store.verify('hello')).toEqual({ ok: false, reason: 'malformed token' });
  });

  it('refuses a token once it expires (30 days by default)', () => {
    const store = new TokenStore(file, clock);
    const { token, record } = store.issue('alice@laptop');
    expect(record.expiresAt).toBe('2026-01-31T00:00:00.000Z');
    now += 30 * 24 * 3600_000 - 1;
    expect(store.verify(token).ok).toBe(true);
    now += 1;
    expect(store.verify(token)).toEqual({ ok: false, reason: 'token expired' });
  });

  it('a revoke by another process (another store on the same file) takes effect on the next check', () => {
    const server = new TokenStore(file, clock);
    const { token, record } = server.issue('alice@laptop');
    const other = server.issue('bob@desk');
    expect(server.verify(token).ok).toBe(true);
    const cli = new TokenStore(file, clock);
    expect(cli.revoke(record.id.slice(0, 6)).revokedAt).toBeDefined();
    expect(server.verify(token)).toEqual({ ok: false, reason: 'token revoked' });
    expect(server.verify(other.token).ok).toBe(true);
  });

  it('records the last use, and a lastUsed write does not undo a concurrent revoke', () => {
    const server = new TokenStore(file, clock);
    const a = server.issue('alice@laptop');
    const b = server.issue('bob@desk');
    now += 120_000;
    server.verify(a.token);
    new TokenStore(file, clock).revoke(b.record.id);
    now += 120_000;
    server.verify(a.token);
    const listed = new TokenStore(file, clock).list();
    expect(listed.find((r) => r.id === a.record.id)?.lastUsedAt).toBe(new Date(now).toISOString());
    expect(listed.find((r) => r.id === b.record.id)?.revokedAt).toBeDefined();
  });

  it('refuses to revoke with an unknown or too short id', () => {
    const store = new TokenStore(file, clock);
    store.issue('alice@laptop');
    expect(() => store.revoke('ffff0000')).toThrow(/no token with id/);
    expect(() => store.revoke('a')).toThrow(/no token with id/);
  });
});
