import { randomBytes, randomInt } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { RemoteError, UsageError } from '../../errors.ts';
import { challengeOf, DEVICE_GRANT_TYPE } from './auth-flows.ts';
import type { Credential } from './credentials.ts';
import { openBrowser } from './login-browser.ts';
import { startCallback } from './login-callback.ts';
import { authRequest, notAGateway, type AuthResponse } from './login-http.ts';
import type { PeerTrust } from './tls-pin.ts';

export interface SignInOptions {
  /** The gateway's base URL, `https://host[:port]`. */
  readonly url: string;
  readonly trust: PeerTrust;
  /** `never`: device code right away (`--no-browser`, OPENSHELL_NO_BROWSER=1). */
  readonly browser: 'auto' | 'never';
  readonly progress: (line: string) => void;
  /** How to open the sign-in page (default: $BROWSER, else xdg-open). */
  readonly open?: (url: string) => Promise<boolean>;
  /** How long to wait for the browser's answer (default 5 minutes). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** How this client introduces itself on the approval page and in `gateway tokens list`. */
export function clientLabel(): string {
  let user = 'user';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep the generic name
  }
  return `${user}@${hostname()}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

/** True when the environment asks for the device flow (OPENSHELL_NO_BROWSER=1, as upstream). */
export const noBrowserFromEnv = (env: NodeJS.ProcessEnv = process.env): boolean => /^(1|true|yes)$/i.test(env.OPENSHELL_NO_BROWSER ?? '');

/** `https://host[:port]` with nothing after it; anything else is a usage error with the expected shape. */
export function parseGatewayUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`\`${text}\` is not a URL`, 'expected https://host[:port]');
  }
  if (u.protocol !== 'https:') throw new UsageError(`served gateways are reached over https, not ${u.protocol.replace(':', '')}`, 'expected https://host[:port]');
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') {
    throw new UsageError(`\`${text}\` has more than a host and port`, 'expected https://host[:port]');
  }
  return u.origin;
}

/** Checks that the URL answers like an openshell gateway (before anything is registered). */
export async function checkGateway(url: string, trust: PeerTrust): Promise<void> {
  const info = await authRequest(url, trust, { method: 'GET', path: '/auth/info' });
  if (info.status !== 200 || info.body.service !== 'openshell-gateway') throw notAGateway(url, `GET /auth/info answered ${info.status}`);
}

/** Signs in to a served gateway: browser and loopback callback first, device code when no browser opens. */
export async function signIn(o: SignInOptions): Promise<Credential> {
  if (o.browser === 'auto') {
    const viaBrowser = await browserSignIn(o);
    if (viaBrowser) return viaBrowser;
    o.progress('no browser could be opened: signing in with a device code instead');
  }
  return deviceSignIn(o);
}

/** PKCE-style: the browser carries only a one-time code back; the token comes from a pinned exchange. */
async function browserSignIn(o: SignInOptions): Promise<Credential | undefined> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const code = `${randomInt(1000, 10000)}-${randomInt(1000, 10000)}`;
  const callback = await startCallback(state, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const onAbort = (): void => callback.close();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const link = new URL('/auth/connect', o.url);
    for (const [k, v] of Object.entries({ callback_port: String(callback.port), challenge: challengeOf(verifier), state, code, client: clientLabel() })) {
      link.searchParams.set(k, v);
    }
    o.progress(`opening the sign-in page in your browser (if none opens, visit ${link.toString()})`);
    o.progress(`waiting for the approval in the browser; approve only if it shows the code ${code}`);
    if (!(await (o.open ?? openBrowser)(link.toString()))) {
      callback.close();
      return undefined;
    }
    const authCode = await callback.code;
    o.progress('approved in the browser; fetching the token');
    const res = await authRequest(o.url, o.trust, { method: 'POST', path: '/auth/token', fields: { grant_type: 'authorization_code', code: authCode, code_verifier: verifier } });
    return credentialFrom(o.url, res);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    callback.close();
  }
}

/** RFC 8628: show a user code and a URL, poll until the operator approves, denies or the code expires. */
async function deviceSignIn(o: SignInOptions): Promise<Credential> {
  const start = await authRequest(o.url, o.trust, { method: 'POST', path: '/auth/device', fields: { client: clientLabel() } });
  const { device_code: deviceCode, user_code: userCode, verification_uri: uri, verification_uri_complete: complete } = start.body;
  if (start.status !== 200 || typeof deviceCode !== 'string' || typeof userCode !== 'string' || typeof uri !== 'string') {
    throw notAGateway(o.url, `POST /auth/device answered ${start.status}`);
  }
  const direct = typeof complete === 'string' ? ` (direct link: ${complete})` : '';
  o.progress(`to sign in, open ${uri} and enter the code ${userCode}${direct}`);
  let interval = Number(start.body.interval) > 0 ? Number(start.body.interval) : 5;
  const deadline = Date.now() + (Number(start.body.expires_in) > 0 ? Number(start.body.expires_in) * 1000 : 600_000);
  while (Date.now() < deadline) {
    await sleep(interval * 1000, undefined, o.signal ? { signal: o.signal } : {});
    const res = await authRequest(o.url, o.trust, { method: 'POST', path: '/auth/device/token', fields: { grant_type: DEVICE_GRANT_TYPE, device_code: deviceCode } });
    if (res.status === 200) return credentialFrom(o.url, res);
    const error = res.body.error;
    if (error === 'authorization_pending') continue;
    if (error === 'slow_down') {
      interval += 5;
      continue;
    }
    if (error === 'access_denied') throw new RemoteError('the sign-in was denied', { exitCode: 4, hint: 'ask the gateway operator to approve the code' });
    if (error === 'expired_token') break;
    const why = typeof res.body.error_description === 'string' ? res.body.error_description : `HTTP ${res.status}`;
    throw new RemoteError(`the gateway refused the sign-in: ${why}`, { exitCode: 4 });
  }
  throw new RemoteError(`the code ${userCode} expired before anyone approved it`, { exitCode: 4, hint: 'run `openshell gateway login` again' });
}

function credentialFrom(url: string, res: AuthResponse): Credential {
  const b = res.body;
  if (res.status !== 200 || typeof b.access_token !== 'string') {
    const why = typeof b.error_description === 'string' ? b.error_description : `HTTP ${res.status}`;
    throw new RemoteError(`the gateway refused the sign-in: ${why}`, { exitCode: 4, hint: 'run `openshell gateway login` again' });
  }
  return {
    token: b.access_token,
    url,
    ...(typeof b.token_id === 'string' ? { tokenId: b.token_id } : {}),
    ...(typeof b.subject === 'string' ? { subject: b.subject } : {}),
    ...(typeof b.expires_at === 'string' ? { expiresAt: b.expires_at } : {}),
  };
}

/** Revokes the token on the gateway; true when the gateway confirmed (a 401 means it was no longer valid anyway). */
export async function signOut(url: string, trust: PeerTrust, token: string): Promise<'revoked' | 'already-invalid'> {
  const res = await authRequest(url, trust, { method: 'POST', path: '/auth/logout', token });
  if (res.status === 200) return 'revoked';
  if (res.status === 401) return 'already-invalid';
  throw new RemoteError(`the gateway did not revoke the token (HTTP ${res.status})`, { exitCode: 3 });
}
