import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SESSION_MS = 12 * 3600_000;
const NONCE_MS = 15 * 60_000;
const FAILURES_ALLOWED = 5;
const LOCKOUT_MS = 60_000;
const MAX_ENTRIES = 1000;

export const SESSION_COOKIE = 'openshell_operator';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Equal-length digests compared in constant time, so no input length or prefix leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The directory holding the served gateway's auth state (operator key, tokens), 0700. */
export function authDir(stateDir: string): string {
  const dir = join(stateDir, 'auth');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** Reads the operator key, creating it (0600) on first start; `created` tells the caller to announce it. */
export function loadOperatorKey(stateDir: string): { key: string; path: string; created: boolean } {
  const path = join(authDir(stateDir), 'operator.key');
  if (existsSync(path)) return { key: readFileSync(path, 'utf8').trim(), path, created: false };
  const key = randomBytes(24).toString('base64url');
  writeFileSync(path, key + '\n', { mode: 0o600, flag: 'wx' });
  return { key, path, created: true };
}

/**
 * Who may approve a sign-in: whoever holds the operator key, or a browser session opened with it.
 * Sessions, CSRF nonces and failed attempts live in memory only: a restart signs operators out.
 */
export class OperatorGate {
  private readonly sessions = new Map<string, number>();
  private readonly nonces = new Map<string, number>();
  private failures: number[] = [];

  constructor(
    private readonly key: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh single-use CSRF nonce for one rendered form. */
  nonce(): string {
    prune(this.nonces, this.now());
    const n = randomBytes(16).toString('base64url');
    this.nonces.set(n, this.now() + NONCE_MS);
    return n;
  }

  /** Consumes a nonce: true once per nonce issued in the last 15 minutes. */
  consumeNonce(n: string | undefined): boolean {
    if (n === undefined) return false;
    const expires = this.nonces.get(n);
    this.nonces.delete(n);
    return expires !== undefined && expires > this.now();
  }

  hasSession(cookie: string | undefined): boolean {
    if (cookie === undefined) return false;
    const expires = this.sessions.get(digest(cookie).toString('hex'));
    return expires !== undefined && expires > this.now();
  }

  /** Checks a typed operator key; after 5 wrong keys in a minute every attempt is refused for a minute. */
  checkKey(presented: string): 'ok' | 'wrong' | 'locked' {
    const now = this.now();
    this.failures = this.failures.filter((t) => now - t < LOCKOUT_MS);
    if (this.failures.length >= FAILURES_ALLOWED) return 'locked';
    if (safeEqual(presented.trim(), this.key)) return 'ok';
    this.failures.push(now);
    return 'wrong';
  }

  /** Opens a browser session; only the cookie's hash is kept. */
  openSession(): { cookie: string; maxAgeSeconds: number } {
    prune(this.sessions, this.now());
    const cookie = randomBytes(32).toString('base64url');
    this.sessions.set(digest(cookie).toString('hex'), this.now() + SESSION_MS);
    return { cookie, maxAgeSeconds: SESSION_MS / 1000 };
  }
}

function prune(map: Map<string, number>, now: number): void {
  for (const [k, expires] of map) if (expires <= now) map.delete(k);
  // A flood of page loads must not grow memory without bound: drop the oldest entries.
  while (map.size >= MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}
