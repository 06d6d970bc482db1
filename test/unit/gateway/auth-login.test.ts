import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openBrowser } from '../../../core/gateway/http/login-browser.ts';
import { signIn, signOut } from '../../../core/gateway/http/login.ts';
import { authRequest } from '../../../core/gateway/http/login-http.ts';
import { approveDeviceCode, approveLink, codeOnPage, visit } from '../../fixtures/auth-browser.ts';
import { startAuthServer, type AuthServer } from './auth-server.ts';

let server: AuthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('client sign-in against a real HTTPS gateway', () => {
  it('browser flow: the page shows the code the terminal printed; the token arrives and works', async () => {
    server = await startAuthServer();
    const s = server;
    const lines: string[] = [];
    let shownOnPage: string | undefined;
    let callbackPage = '';
    const cred = await signIn({
      url: s.url,
      trust: { fingerprint: s.fingerprint },
      browser: 'auto',
      progress: (l) => lines.push(l),
      open: async (link) => {
        shownOnPage = codeOnPage((await visit(link)).body);
        callbackPage = (await approveLink(link, s.operatorKey)).body;
        return true;
      },
    });
    expect(lines.join('\n')).toContain(`shows the code ${shownOnPage}`);
    expect(callbackPage).toContain('You can close this tab');
    expect(cred.url).toBe(s.url);
    const ping = await authRequest(s.url, { fingerprint: s.fingerprint }, { method: 'GET', path: '/api/ping', token: cred.token });
    expect(ping.body).toMatchObject({ ok: true, tokenId: cred.tokenId });
    expect(await signOut(s.url, { fingerprint: s.fingerprint }, cred.token)).toBe('revoked');
    expect((await authRequest(s.url, { fingerprint: s.fingerprint }, { method: 'GET', path: '/api/ping', token: cred.token })).status).toBe(401);
  });

  it('denied in the browser: a clear error, no token', async () => {
    server = await startAuthServer();
    const s = server;
    const result = signIn({ url: s.url, trust: { fingerprint: s.fingerprint }, browser: 'auto', progress: () => undefined, open: async (link) => (await approveLink(link, s.operatorKey, 'deny')).status === 200 });
    await expect(result).rejects.toThrow('the sign-in was denied in the browser');
  });

  it('no answer from the browser: times out with a hint to use a device code', async () => {
    server = await startAuthServer();
    const s = server;
    const result = signIn({ url: s.url, trust: { fingerprint: s.fingerprint }, browser: 'auto', progress: () => undefined, open: () => Promise.resolve(true), timeoutMs: 300 });
    await expect(result).rejects.toThrow(/no answer from the browser within/);
  });

  it('no browser: falls back to a device code that the operator approves', async () => {
    server = await startAuthServer({ pollIntervalSeconds: 1 });
    const s = server;
    const lines: string[] = [];
    let approval: Promise<unknown> | undefined;
    const progress = (l: string): void => {
      lines.push(l);
      const m = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(l);
      if (m?.[1]) approval = approveDeviceCode(s.url, m[1], s.operatorKey);
    };
    const cred = await signIn({ url: s.url, trust: { fingerprint: s.fingerprint }, browser: 'auto', progress, open: () => Promise.resolve(false) });
    await approval;
    expect(lines.join('\n')).toContain('no browser could be opened: signing in with a device code instead');
    expect(lines.join('\n')).toContain(`open ${s.url}/auth/device and enter the code`);
    const ping = await authRequest(s.url, { fingerprint: s.fingerprint }, { method: 'GET', path: '/api/ping', token: cred.token });
    expect(ping.status).toBe(200);
  });
});

describe('opening the browser', () => {
  it('$BROWSER that is missing or fails counts as no browser; the next one in the list is tried', async () => {
    expect(await openBrowser('https://gw.example/auth/connect', { BROWSER: '/nonexistent/browser' })).toBe(false);
    expect(await openBrowser('https://gw.example/auth/connect', { BROWSER: 'false' })).toBe(false);
    expect(await openBrowser('https://gw.example/auth/connect', { BROWSER: '/nonexistent/browser:true' })).toBe(true);
  });

  it('%s in $BROWSER marks where the URL goes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-browser-'));
    const out = join(dir, 'args');
    writeFileSync(join(dir, 'browser.sh'), `printf '%s' "$1" > ${out}\n`);
    try {
      expect(await openBrowser('https://gw.example/x?a=1&b=2', { BROWSER: `/bin/sh ${join(dir, 'browser.sh')} --url=%s` })).toBe(true);
      expect(readFileSync(out, 'utf8')).toBe('--url=https://gw.example/x?a=1&b=2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
