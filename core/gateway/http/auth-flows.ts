import { createHash, randomBytes, randomInt } from 'node:crypto';
import { safeEqual } from './auth-operator.ts';

/** A browser sign-in waiting for the operator: the CLI holds the verifier, we hold its sha256 (PKCE S256). */
export interface ConnectRequest {
  readonly id: string;
  readonly challenge: string;
  readonly callbackPort: number;
  readonly state: string;
  /** Short code the CLI printed, shown on the approval page so the operator can compare. */
  readonly code: string;
  readonly client: string;
  readonly expires: number;
}

export interface DeviceRequest {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly client: string;
  readonly expires: number;
  status: 'pending' | 'approved' | 'denied';
  lastPoll: number;
}

export type DevicePoll =
  | { ok: true; client: string }
  | { ok: false; error: 'authorization_pending' | 'slow_down' | 'expired_token' | 'access_denied' | 'invalid_grant' };

export type Exchange = { ok: true; client: string } | { ok: false; error: string };

/** RFC 8628's grant type for polling `/auth/device/token`. */
export const DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

const REQUEST_MS = 10 * 60_000;
const AUTH_CODE_MS = 2 * 60_000;
const MAX_PENDING = 100;
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

export const FIELD = {
  challenge: /^[A-Za-z0-9_-]{43}$/,
  state: /^[A-Za-z0-9_-]{8,128}$/,
  code: /^[A-Z0-9-]{4,16}$/,
  client: /^[\x20-\x7e]{1,64}$/,
};

/** base64url(sha256(verifier)), as RFC 7636's S256 method. */
export const challengeOf = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');

/** `XXXX-XXXX` from consonants only (RFC 8628 §6.1: no vowels, so no words, no 0/O or 1/I confusion). */
function userCode(): string {
  const pick = (): string => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)] ?? 'B';
  const part = (): string => Array.from({ length: 4 }, pick).join('');
  return `${part()}-${part()}`;
}

export const normalizeUserCode = (s: string): string => {
  const letters = s.toUpperCase().replace(/[^A-Z]/g, '');
  return letters.length === 8 ? `${letters.slice(0, 4)}-${letters.slice(4)}` : letters;
};

/** Pending sign-ins of both flows, in memory: a server restart simply makes the CLI start over. */
export class PendingFlows {
  private readonly connects = new Map<string, ConnectRequest>();
  private readonly codes = new Map<string, { challenge: string; client: string; expires: number }>();
  private readonly devices = new Map<string, DeviceRequest>();

  constructor(
    private readonly now: () => number = Date.now,
    readonly pollIntervalSeconds = 2,
  ) {}

  startConnect(p: Omit<ConnectRequest, 'id' | 'expires'>): ConnectRequest {
    this.prune();
    const req = { ...p, id: randomBytes(16).toString('base64url'), expires: this.now() + REQUEST_MS };
    this.connects.set(req.id, req);
    return req;
  }

  connect(id: string | undefined): ConnectRequest | undefined {
    const req = id === undefined ? undefined : this.connects.get(id);
    return req && req.expires > this.now() ? req : undefined;
  }

  /** Ends a browser sign-in; on approval returns the one-time code the CLI exchanges with its verifier. */
  decideConnect(id: string, approve: boolean): string | undefined {
    const req = this.connects.get(id);
    this.connects.delete(id);
    if (!req || !approve) return undefined;
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, { challenge: req.challenge, client: req.client, expires: this.now() + AUTH_CODE_MS });
    return code;
  }

  /** A code works once, within two minutes, and only with the verifier whose hash started the sign-in. */
  exchange(code: string, verifier: string): Exchange {
    const entry = this.codes.get(code);
    // Consumed on any attempt: a stolen code gets one guess at the verifier, then it is gone.
    this.codes.delete(code);
    if (!entry) return { ok: false, error: 'unknown or already used code' };
    if (entry.expires <= this.now()) return { ok: false, error: 'code expired' };
    if (!safeEqual(challengeOf(verifier), entry.challenge)) return { ok: false, error: 'verifier does not match' };
    return { ok: true, client: entry.client };
  }

  startDevice(client: string): DeviceRequest {
    this.prune();
    const req: DeviceRequest = {
      deviceCode: randomBytes(32).toString('base64url'),
      userCode: userCode(),
      client,
      expires: this.now() + REQUEST_MS,
      status: 'pending',
      lastPoll: 0,
    };
    this.devices.set(req.deviceCode, req);
    return req;
  }

  deviceByUserCode(code: string): DeviceRequest | undefined {
    const wanted = normalizeUserCode(code);
    for (const req of this.devices.values()) {
      if (req.status === 'pending' && req.expires > this.now() && safeEqual(req.userCode, wanted)) return req;
    }
    return undefined;
  }

  /** RFC 8628 §3.5 answers; an approved request yields its grant once and is then forgotten. */
  pollDevice(deviceCode: string): DevicePoll {
    const req = this.devices.get(deviceCode);
    if (!req) return { ok: false, error: 'invalid_grant' };
    const now = this.now();
    if (req.expires <= now) {
      this.devices.delete(deviceCode);
      return { ok: false, error: 'expired_token' };
    }
    if (req.status === 'denied') {
      this.devices.delete(deviceCode);
      return { ok: false, error: 'access_denied' };
    }
    if (req.status === 'approved') {
      this.devices.delete(deviceCode);
      return { ok: true, client: req.client };
    }
    // A little slack for timer jitter; a client polling faster than asked is told to slow down.
    const tooSoon = now - req.lastPoll < this.pollIntervalSeconds * 1000 - 250;
    req.lastPoll = now;
    return { ok: false, error: tooSoon ? 'slow_down' : 'authorization_pending' };
  }

  private prune(): void {
    const now = this.now();
    for (const [k, r] of this.connects) if (r.expires <= now) this.connects.delete(k);
    for (const [k, r] of this.codes) if (r.expires <= now) this.codes.delete(k);
    // Expired device requests linger one more period so a late poll hears `expired_token`, not `invalid_grant`.
    for (const [k, r] of this.devices) if (r.expires + REQUEST_MS <= now) this.devices.delete(k);
    // Unauthenticated callers can start sign-ins: keep the newest MAX_PENDING of each kind, so memory stays bounded.
    for (const map of [this.connects, this.codes, this.devices] as Map<string, unknown>[]) {
      for (const k of map.keys()) {
        if (map.size < MAX_PENDING) break;
        map.delete(k);
      }
    }
  }
}
