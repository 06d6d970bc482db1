// The browser sign-in in a real headless browser (Debian's chromium through playwright-core): the CLI
// opens the gateway's page, the operator approves there, the browser follows the redirect to the CLI's
// loopback callback, and the CLI holds a working token. Exercises what a script cannot: CSP form-action
// on the redirect to http://127.0.0.1, the Secure/SameSite session cookie on a self-signed https origin.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.ts';
import { startCli, startServe, type Served } from './served-auth-helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RECORD = fileURLToPath(new URL('../fixtures/auth-record-url.sh', import.meta.url));
const NAME = 'srv-auth-web';

let work = '';
let served: Served;
let browser: Browser;
let context: BrowserContext;
let env: NodeJS.ProcessEnv = {};
let opened = 0;

/** The next URL the CLI handed to $BROWSER. */
async function nextOpenedUrl(): Promise<string> {
  const file = join(work, 'opened.txt');
  for (let i = 0; i < 200; i++) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length > opened) return lines[opened++] ?? '';
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the CLI never opened a browser');
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  work = mkdtempSync(join(tmpdir(), 'srv-auth-web-'));
  served = await startServe(join(work, 'state'));
  env = { OPENSHELL_CONFIG_DIR: join(work, 'config'), BROWSER: `/bin/sh ${RECORD}`, AUTH_BROWSER_URL_FILE: join(work, 'opened.txt'), OPENSHELL_NO_BROWSER: '' };
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  // The user accepted the self-signed certificate's warning once, as with any such site.
  context = await browser.newContext({ ignoreHTTPSErrors: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('browser sign-in in a real headless chromium', () => {
  it('login page → wrong key refused → approve with the key → the CLI receives a token that works', async () => {
    const run = startCli(['gateway', 'add', served.url, '--name', NAME, '--fingerprint', served.fingerprint], env, /approve only if it shows the code (\d{4}-\d{4})/);
    const code = (await run.matched)[1];
    const page = await context.newPage();
    await page.goto(await nextOpenedUrl());
    expect(await page.textContent('h1')).toBe('Approve a sign-in');
    // The operator compares the code on the page with the one in the terminal.
    expect(await page.textContent('#code')).toBe(code);
    await page.fill('#key', 'not-the-key');
    await page.click('#approve');
    expect(await page.textContent('[role=alert]')).toBe('That is not the operator key.');
    await page.fill('#key', served.operatorKey());
    await page.click('#approve');
    await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback/);
    expect(await page.textContent('#message')).toContain('You can close this tab');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/signed in to srv-auth-web as \S+@\S+/);
    const token = join(work, 'config', 'gateways', NAME, 'token.json');
    expect(statSync(token).mode & 0o777).toBe(0o600);
    const list = await cli(['-g', NAME, 'sandbox', 'list', '-o', 'json'], { env });
    expect(list.code).toBe(0);
    // The token never passed through the browser: not in its history, not in the page it ended on.
    expect(page.url()).not.toContain((JSON.parse(readFileSync(token, 'utf8')) as { token: string }).token);
    await page.close();
  });

  it('the operator session (Secure, SameSite=Strict cookie) approves the next sign-in without the key', async () => {
    const cookies = await context.cookies(`${served.url}/auth/connect`);
    expect(cookies.find((c) => c.name === 'openshell_operator')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    const run = startCli(['gateway', 'login', NAME], env, /approve only if it shows the code/);
    await run.matched;
    const page = await context.newPage();
    await page.goto(await nextOpenedUrl());
    expect(await page.textContent('body')).toContain('Signed in as the gateway operator.');
    expect(await page.$('#key')).toBeNull();
    await page.click('#approve');
    await page.waitForURL(/\/callback/);
    expect(await run.exited).toBe(0);
    await page.close();
  });

  it('deny in the browser: the CLI says so and keeps no token', async () => {
    await cli(['gateway', 'logout', NAME], { env });
    const run = startCli(['gateway', 'login', NAME], env, /approve only if it shows the code/);
    await run.matched;
    const page = await context.newPage();
    await page.goto(await nextOpenedUrl());
    await page.click('#deny');
    await page.waitForURL(/\/callback/);
    expect(await page.textContent('#message')).toContain('denied');
    expect(await run.exited).toBe(4);
    expect(run.stderr()).toContain('the sign-in was denied in the browser');
    expect(existsSync(join(work, 'config', 'gateways', NAME, 'token.json'))).toBe(false);
    await page.close();
  });

  it('device flow: the operator types the printed code into the device page', async () => {
    const run = startCli(['gateway', 'login', NAME], { ...env, OPENSHELL_NO_BROWSER: '1' }, /open (\S+) and enter the code ([A-Z]{4}-[A-Z]{4})/);
    const [, uri, code] = await run.matched;
    // A fresh browser: no operator session, so the key is asked for.
    const fresh = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await fresh.newPage();
    await page.goto(uri ?? '');
    await page.fill('#user_code', (code ?? '').toLowerCase());
    await page.fill('#key', served.operatorKey());
    await page.click('#approve');
    expect(await page.textContent('#message')).toMatch(/^Signed in \S+@\S+\. You can close this tab/);
    expect(await run.exited).toBe(0);
    expect((await cli(['-g', NAME, 'sandbox', 'list'], { env })).code).toBe(0);
    await fresh.close();
  });
});
