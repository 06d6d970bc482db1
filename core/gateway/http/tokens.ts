import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NotFoundError } from '../../errors.ts';

/** What the server keeps about one issued token: never the token itself, only its sha256. */
export interface TokenRecord {
  readonly id: string;
  /** hex sha256 of the secret part of the token. */
  readonly hash: string;
  /** Who it was issued to: the client's label (`user@machine`) as approved by the operator. */
  readonly subject: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly lastUsedAt?: string;
  readonly revokedAt?: string;
}

export type TokenCheck = { ok: true; record: TokenRecord } | { ok: false; reason: string };

export const DEFAULT_TOKEN_TTL_MS = 30 * 24 * 3600_000;
/** Last-use times are written at most this often per token, so a busy client does not rewrite the file per call. */
const LAST_USED_WRITE_MS = 60_000;
const PREFIX = 'osg_';
const TOKEN = /^osg_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;
const DUMMY_HASH = Buffer.alloc(32);

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The served gateway's token store, one JSON file (0600) in its state dir. Another process
 * (`openshell gateway tokens revoke`) may edit the file while the server runs: the server re-reads it
 * whenever its modification time or size changes, so a revocation takes effect on the next request.
 */
export class TokenStore {
  private records: TokenRecord[] = [];
  private seen = '';

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    this.reload();
  }

  /** Issues a new token; the returned secret is shown to the client once and never stored. */
  issue(subject: string, ttlMs = DEFAULT_TOKEN_TTL_MS): { token: string; record: TokenRecord } {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const now = this.now();
    const record: TokenRecord = {
      id,
      hash: sha256(secret).toString('hex'),
      subject,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttlMs).toISOString(),
    };
    this.update((all) => [...all, record]);
    return { token: `${PREFIX}${id}.${secret}`, record };
  }

  /** Checks a presented token; the secret is compared in constant time against the stored hash. */
  verify(token: string): TokenCheck {
    this.reload();
    const m = TOKEN.exec(token);
    const record = m ? this.records.find((r) => r.id === m[1]) : undefined;
    const presented = sha256(m?.[2] ?? token);
    const stored = record ? Buffer.from(record.hash, 'hex') : DUMMY_HASH;
    // Always compare, also for an unknown id, so the time taken does not tell which ids exist.
    const same = stored.length === presented.length && timingSafeEqual(stored, presented);
    if (!m) return { ok: false, reason: 'malformed token' };
    if (!record || !same) return { ok: false, reason: 'unknown token' };
    if (record.revokedAt !== undefined) return { ok: false, reason: 'token revoked' };
    if (Date.parse(record.expiresAt) <= this.now()) return { ok: false, reason: 'token expired' };
    this.touch(record);
    return { ok: true, record };
  }

  /** Revokes a token by id (or a unique id prefix of at least 4 characters). */
  revoke(idOrPrefix: string): TokenRecord {
    this.reload();
    const matches = idOrPrefix.length >= 4 ? this.records.filter((r) => r.id.startsWith(idOrPrefix)) : [];
    const [target] = matches;
    if (matches.length !== 1 || !target) {
      throw new NotFoundError(
        matches.length > 1 ? `token id \`${idOrPrefix}\` is ambiguous` : `no token with id \`${idOrPrefix}\``,
        { exitCode: 2, hint: 'see `openshell gateway tokens list`' },
      );
    }
    const revokedAt = new Date(this.now()).toISOString();
    this.update((all) => all.map((r) => (r.id === target.id && r.revokedAt === undefined ? { ...r, revokedAt } : r)));
    return this.records.find((r) => r.id === target.id) ?? target;
  }

  list(): readonly TokenRecord[] {
    this.reload();
    return this.records;
  }

  private touch(record: TokenRecord): void {
    const now = this.now();
    if (record.lastUsedAt !== undefined && now - Date.parse(record.lastUsedAt) < LAST_USED_WRITE_MS) return;
    const lastUsedAt = new Date(now).toISOString();
    this.update((all) => all.map((r) => (r.id === record.id ? { ...r, lastUsedAt } : r)));
  }

  /** Read-modify-write on the freshest file contents, so a concurrent revoke is not overwritten. */
  private update(change: (all: readonly TokenRecord[]) => TokenRecord[]): void {
    this.reload();
    this.records = change(this.records);
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ tokens: this.records }, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
    this.seen = this.stamp();
  }

  private stamp(): string {
    try {
      const s = statSync(this.file);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return 'missing';
    }
  }

  private reload(): void {
    const stamp = this.stamp();
    if (stamp === this.seen) return;
    this.seen = stamp;
    if (stamp === 'missing') {
      this.records = [];
      return;
    }
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { tokens?: TokenRecord[] };
      this.records = Array.isArray(parsed.tokens) ? parsed.tokens : [];
    } catch {
      // Writers replace the file atomically, so this is a damaged file: fail closed, no token is valid.
      this.records = [];
    }
  }
}
