import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { challengeOf } from '../../../core/gateway/http/auth-flows.ts';
import { authRequest } from '../../../core/gateway/http/login-http.ts';
import { approveDeviceCode, field, visit } from '../../fixtures/auth-browser.ts';
import { startAuthServer, type AuthServer } from './auth-server.ts';

let server: AuthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const post = (s: AuthServer, path: string, fields: Record<string, string>, token?: string) =>
  authRequest(s.url, { fingerprint: s.fingerprint }, { method: 'POST', path, fields, ...(token === undefined ? {} : { token }) });

/** Starts a browser sign-in for `verifier`, approves it as the operator, returns the code the browser would carry. */
async function approvedCode(s: AuthServer, verifier: string): Promise<string> {
  const link = `${s.url}/auth/connect?callback_port=45678&challenge=${challengeOf(verifier)}&state=abcdefgh12&code=1234-5678&client=alice@laptop`;
  const page = await visit(link);
  expect(page.body).toContain('1234-5678');
  const answer = await visit(`${s.url}/auth/connect/approve`, { form: { request: field(page.body, 'request'), csrf: field(page.body, 'csrf'), key: s.operatorKey, decision: 'approve' } });
  expect(answer.status).toBe(303);
  const back = new URL(String(answer.headers.location));
  expect(back.origin).toBe('http://127.0.0.1:45678');
  expect(back.searchParams.get('state')).toBe('abcdefgh12');
  // The browser only ever sees a one-time code, never a token.
  expect(back.searchParams.has('token')).toBe(false);
  return back.searchParams.get('code') ?? '';
}

describe('browser sign-in (PKCE-style code exchange)', () => {
  it('exchanges code + verifier for a token that the API accepts', async () => {
    server = await startAuthServer();
    const verifier = randomBytes(32).toString('base64url');
    const code = await approvedCode(server, verifier);
    const res = await post(server, '/auth/token', { grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', subject: 'alice@laptop' });
    const ping = await authRequest(server.url, { fingerprint: server.fingerprint }, { method: 'GET', path: '/api/ping', token: String(res.body.access_token) }).catch((e: unknown) => e);
    // /api/ping answers plain JSON `verify` results: the token is valid.
    expect(ping).toMatchObject({ status: 200, body: { ok: true, subject: 'alice@laptop' } });
  });

  it('refuses a wrong verifier, and the code is then gone (single use)', async () => {
    server = await startAuthServer();
    const verifier = randomBytes(32).toString('base64url');
    const code = await approvedCode(server, verifier);
    const wrong = await post(server, '/auth/token', { grant_type: 'authorization_code', code, code_verifier: randomBytes(32).toString('base64url') });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'verifier does not match' } });
    const again = await post(server, '/auth/token', { grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'unknown or already used code' } });
  });

  it('a code works only once even with the right verifier', async () => {
    server = await startAuthServer();
    const verifier = randomBytes(32).toString('base64url');
    const code = await approvedCode(server, verifier);
    expect((await post(server, '/auth/token', { grant_type: 'authorization_code', code, code_verifier: verifier })).status).toBe(200);
    expect((await post(server, '/auth/token', { grant_type: 'authorization_code', code, code_verifier: verifier })).status).toBe(400);
  });

  it('a code expires after two minutes', async () => {
    let now = Date.now();
    server = await startAuthServer({ now: () => now });
    const verifier = randomBytes(32).toString('base64url');
    const code = await approvedCode(server, verifier);
    now += 2 * 60_000 + 1;
    const res = await post(server, '/auth/token', { grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(res).toMatchObject({ status: 400, body: { error_description: 'code expired' } });
  });

  it('a denied sign-in sends the browser back with access_denied and no code', async () => {
    server = await startAuthServer();
    const page = await visit(`${server.url}/auth/connect?callback_port=45678&challenge=${challengeOf('v'.repeat(43))}&state=abcdefgh12&code=1234-5678`);
    const answer = await visit(`${server.url}/auth/connect/approve`, { form: { request: field(page.body, 'request'), csrf: field(page.body, 'csrf'), key: server.operatorKey, decision: 'deny' } });
    const back = new URL(String(answer.headers.location));
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.has('code')).toBe(false);
  });
});

describe('approval page protections', () => {
  const link = (s: AuthServer): string => `${s.url}/auth/connect?callback_port=45678&challenge=${challengeOf('x'.repeat(43))}&state=abcdefgh12&code=1234-5678`;

  it('requires the CSRF nonce of a page it rendered, once', async () => {
    server = await startAuthServer();
    const page = await visit(link(server));
    const request = field(page.body, 'request');
    const none = await visit(`${server.url}/auth/connect/approve`, { form: { request, key: server.operatorKey, decision: 'approve' } });
    expect(none.status).toBe(403);
    const forged = await visit(`${server.url}/auth/connect/approve`, { form: { request, csrf: 'made-up', key: server.operatorKey, decision: 'approve' } });
    expect(forged.status).toBe(403);
    const csrf = field(page.body, 'csrf');
    const crossSite = await visit(`${server.url}/auth/connect/approve`, { form: { request, csrf, key: server.operatorKey, decision: 'approve' }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    // The cross-site attempt burnt nothing it could not: a fresh page gives a fresh nonce that works.
    const fresh = await visit(link(server));
    const ok = await visit(`${server.url}/auth/connect/approve`, { form: { request: field(fresh.body, 'request'), csrf: field(fresh.body, 'csrf'), key: server.operatorKey, decision: 'approve' } });
    expect(ok.status).toBe(303);
  });

  it('needs the operator key; a right key opens an HttpOnly, Secure, SameSite=Strict session', async () => {
    server = await startAuthServer();
    const page = await visit(link(server));
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const wrong = await visit(`${server.url}/auth/connect/approve`, { form: { request: field(page.body, 'request'), csrf: field(page.body, 'csrf'), key: 'not-the-key', decision: 'approve' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That is not the operator key.');
    // The re-rendered page carries a new nonce; with the right key the approval goes through.
    const right = await visit(`${server.url}/auth/connect/approve`, { form: { request: field(wrong.body, 'request'), csrf: field(wrong.body, 'csrf'), key: server.operatorKey, decision: 'approve' } });
    expect(right.status).toBe(303);
    const setCookie = String(right.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    // With the session, the next approval needs no key.
    const cookie = setCookie.split(';')[0] ?? '';
    const next = await visit(link(server), { cookie });
    expect(next.body).toContain('Signed in as the gateway operator');
    const noKey = await visit(`${server.url}/auth/connect/approve`, { form: { request: field(next.body, 'request'), csrf: field(next.body, 'csrf'), decision: 'approve' }, cookie });
    expect(noKey.status).toBe(303);
  });

  it('locks out key guessing after five wrong keys', async () => {
    server = await startAuthServer();
    let body = (await visit(link(server))).body;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await visit(`${server.url}/auth/connect/approve`, { form: { request: field(body, 'request'), csrf: field(body, 'csrf'), key: `guess-${i}`, decision: 'approve' } });
      statuses.push(res.status);
      body = res.body;
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // Even the right key is refused during the lockout.
    const right = await visit(`${server.url}/auth/connect/approve`, { form: { request: field(body, 'request'), csrf: field(body, 'csrf'), key: server.operatorKey, decision: 'approve' } });
    expect(right.status).toBe(429);
  });

  it('refuses a sign-in link with a bad callback port or challenge', async () => {
    server = await startAuthServer();
    expect((await visit(`${server.url}/auth/connect?callback_port=80&challenge=${'a'.repeat(43)}&state=abcdefgh12&code=1234`)).status).toBe(400);
    expect((await visit(`${server.url}/auth/connect?callback_port=45678&challenge=short&state=abcdefgh12&code=1234`)).status).toBe(400);
  });
});

describe('device sign-in (RFC 8628)', () => {
  it('pending, slow_down, then a token once the operator approves the user code', async () => {
    server = await startAuthServer({ pollIntervalSeconds: 1 });
    const start = await post(server, '/auth/device', { client: 'ci@runner' });
    expect(start.body).toMatchObject({ verification_uri: `${server.url}/auth/device`, interval: 1 });
    const deviceCode = String(start.body.device_code);
    const userCode = String(start.body.user_code);
    expect(userCode).toMatch(/^[B-Z]{4}-[B-Z]{4}$/);
    const poll = () => post(server!, '/auth/device/token', { device_code: deviceCode });
    expect((await poll()).body.error).toBe('authorization_pending');
    expect((await poll()).body.error).toBe('slow_down');
    const approved = await approveDeviceCode(server.url, userCode.toLowerCase().replace('-', ''), server.operatorKey);
    expect(approved.body).toContain('Signed in ci@runner');
    const done = await poll();
    expect(done).toMatchObject({ status: 200, body: { subject: 'ci@runner' } });
    // Single use: the grant is gone after it was handed out.
    expect((await poll()).body.error).toBe('invalid_grant');
  });

  it('access_denied when the operator denies, expired_token after ten minutes', async () => {
    let now = Date.now();
    server = await startAuthServer({ now: () => now });
    const denied = await post(server, '/auth/device', { client: 'ci@runner' });
    await approveDeviceCode(server.url, String(denied.body.user_code), server.operatorKey, 'deny');
    expect((await post(server, '/auth/device/token', { device_code: String(denied.body.device_code) })).body.error).toBe('access_denied');
    const late = await post(server, '/auth/device', { client: 'ci@runner' });
    now += 10 * 60_000 + 1;
    expect((await post(server, '/auth/device/token', { device_code: String(late.body.device_code) })).body.error).toBe('expired_token');
    const page = await approveDeviceCode(server.url, String(late.body.user_code), server.operatorKey);
    expect(page.status).toBe(404);
  });

  it('approving needs the operator key and a CSRF nonce', async () => {
    server = await startAuthServer();
    const start = await post(server, '/auth/device', { client: 'ci@runner' });
    const userCode = String(start.body.user_code);
    expect((await approveDeviceCode(server.url, userCode, 'wrong')).status).toBe(401);
    const noNonce = await visit(`${server.url}/auth/device/approve`, { form: { user_code: userCode, key: server.operatorKey, decision: 'approve' } });
    expect(noNonce.status).toBe(403);
    expect((await post(server, '/auth/device/token', { device_code: String(start.body.device_code) })).body.error).toBe('authorization_pending');
  });
});

describe('tokens on the API', () => {
  it('logout revokes exactly the presented token; whoami tells who a token is', async () => {
    server = await startAuthServer();
    const verifier = randomBytes(32).toString('base64url');
    const token = String((await post(server, '/auth/token', { grant_type: 'authorization_code', code: await approvedCode(server, verifier), code_verifier: verifier })).body.access_token);
    const trust = { fingerprint: server.fingerprint };
    expect((await authRequest(server.url, trust, { method: 'GET', path: '/auth/whoami', token })).body).toMatchObject({ subject: 'alice@laptop' });
    expect((await post(server, '/auth/logout', {}, token)).status).toBe(200);
    expect((await authRequest(server.url, trust, { method: 'GET', path: '/api/ping', token })).body).toEqual({ ok: false, reason: 'token revoked' });
    expect((await post(server, '/auth/logout', {}, token)).status).toBe(401);
    expect((await authRequest(server.url, trust, { method: 'GET', path: '/api/ping' })).status).toBe(401);
  });

  it('a client pinned to another certificate sends nothing', async () => {
    server = await startAuthServer();
    const err = await authRequest(server.url, { fingerprint: `sha256:${'0'.repeat(64)}` }, { method: 'GET', path: '/auth/info' }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/does not match the pinned fingerprint; nothing was sent/);
  });
});
