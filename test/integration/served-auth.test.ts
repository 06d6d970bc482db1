// Sign-in to a real served gateway (`openshell gateway serve`) with the real CLI: browser flow through a
// stand-in browser ($BROWSER), device flow, logout, operator revocation, and the 401s a user sees.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authRequest } from '../../core/gateway/http/login-http.ts';
import { approveDeviceCode } from '../fixtures/auth-browser.ts';
import { cli, inTerminal } from './helpers.ts';
import { startCli, startServe, type Served } from './served-auth-helpers.ts';

const BROWSER_SCRIPT = fileURLToPath(new URL('../fixtures/auth-browser.ts', import.meta.url));
const NAME = 'srv-auth';

let work = '';
let served: Served | undefined;
let url = '';
let fingerprint = '';
let stateDir = '';
let env: NodeJS.ProcessEnv = {};

const tokenFile = (): string => join(work, 'config', 'gateways', NAME, 'token.json');
const savedToken = (): string => (JSON.parse(readFileSync(tokenFile(), 'utf8')) as { token: string }).token;
const ask = (path: string, token?: string) =>
  authRequest(url, { fingerprint }, { method: 'GET', path, ...(token === undefined ? {} : { token }) });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'srv-auth-'));
  served = await startServe(join(work, 'state'));
  ({ url, fingerprint, stateDir } = served);
  env = {
    OPENSHELL_CONFIG_DIR: join(work, 'config'),
    BROWSER: `${process.execPath} --import tsx ${BROWSER_SCRIPT}`,
    AUTH_BROWSER_KEY_FILE: join(stateDir, 'auth', 'operator.key'),
    OPENSHELL_NO_BROWSER: '',
  };
}, 120_000);

afterAll(async () => {
  await served?.stop();
  rmSync(work, { recursive: true, force: true });
});
describe('served gateway sign-in with the real CLI', () => {
  it('without a flag and without a terminal, an unknown certificate is refused and nothing registered', async () => {
    const r = await cli(['gateway', 'add', url, '--name', NAME], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has a self-signed certificate and there is no terminal to confirm it');
    expect(r.stderr).toContain(`--fingerprint ${fingerprint}`);
    expect((await cli(['gateway', 'list', '-o', 'json'], { env })).stdout.toString()).not.toContain(NAME);
  });

  it('on a terminal the certificate fingerprint is shown and must be accepted; "no" registers nothing', async () => {
    const r = await inTerminal(['gateway', 'add', url, '--name', NAME], [
      ['expect', 'Trust it and continue (yes/no)?'],
      ['send', 'no\r'],
      ['expect', 'certificate not trusted'],
    ], env);
    expect(r.out).toContain(`has the fingerprint ${fingerprint}`);
    expect(r.out).toContain('certificate not trusted; nothing was registered');
    expect((await cli(['gateway', 'list', '-o', 'json'], { env })).stdout.toString()).not.toContain(NAME);
  });

  it('a wrong --fingerprint is refused before anything is sent', async () => {
    const r = await cli(['gateway', 'add', url, '--name', NAME, '--fingerprint', `sha256:${'ab'.repeat(32)}`], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('does not match --fingerprint; nothing was sent');
  });

  it('a URL that is not a gateway: one clear line, nothing registered', async () => {
    const plain: Server = createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const r = await cli(['gateway', 'add', `https://127.0.0.1:${(plain.address() as AddressInfo).port}`, '--name', 'srv-auth-plain'], { env });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/is not an openshell gateway \(it does not answer TLS on that port\)/);
    } finally {
      plain.close();
    }
  });

  it('gateway add signs in through the browser; commands then work with the token (file 0600)', async () => {
    const r = await cli(['gateway', 'add', url, '--name', NAME, '--fingerprint', fingerprint], { env });
    expect(r.stderr).toContain('waiting for the approval in the browser');
    expect(r.stderr).toMatch(/signed in to srv-auth as \S+@\S+/);
    expect(r.code).toBe(0);
    expect(statSync(tokenFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(work, 'config', 'gateways', NAME)).mode & 0o777).toBe(0o700);
    const listed = JSON.parse((await cli(['gateway', 'list', '-o', 'json'], { env })).stdout.toString()) as { name: string; signedIn?: boolean }[];
    expect(listed.find((g) => g.name === NAME)).toMatchObject({ signedIn: true });
    const list = await cli(['-g', NAME, 'sandbox', 'list', '-o', 'json'], { env });
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(Array.isArray(JSON.parse(list.stdout.toString()))).toBe(true);
    // The token never shows up in what the user sees.
    expect((await cli(['gateway', 'list'], { env })).stdout.toString()).not.toContain(savedToken());
  });

  it('a wrong token: every API call answers 401 and the user is told to sign in again', async () => {
    const good = readFileSync(tokenFile(), 'utf8');
    writeFileSync(tokenFile(), good.replace(/"token": "osg_([0-9a-f]{16})\.[^"]+"/, `"token": "osg_$1.${'A'.repeat(43)}"`));
    try {
      const r = await cli(['-g', NAME, 'sandbox', 'list'], { env });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`gateway ${NAME} did not accept the token`);
      expect(r.stderr).toContain(`openshell gateway login ${NAME}`);
    } finally {
      writeFileSync(tokenFile(), good, { mode: 0o600 });
    }
  });

  it('gateway logout revokes the token on the server and deletes it here', async () => {
    const old = savedToken();
    expect((await ask('/auth/whoami', old)).status).toBe(200);
    const r = await cli(['gateway', 'logout', NAME], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the token is revoked and deleted here');
    expect((await ask('/auth/whoami', old)).status).toBe(401);
    const after = await cli(['-g', NAME, 'sandbox', 'list'], { env });
    expect(after.stderr).toContain(`not signed in to gateway \`${NAME}\``);
    const listed = JSON.parse((await cli(['gateway', 'list', '-o', 'json'], { env })).stdout.toString()) as { name: string; signedIn?: boolean }[];
    expect(listed.find((g) => g.name === NAME)).toMatchObject({ signedIn: false });
  });

  it('device flow (OPENSHELL_NO_BROWSER=1): the printed code, approved by the operator, signs in', async () => {
    const run = startCli(['gateway', 'login', NAME], { ...env, OPENSHELL_NO_BROWSER: '1' }, /enter the code ([A-Z]{4}-[A-Z]{4})/);
    const code = (await run.matched)[1] ?? '';
    const key = readFileSync(join(stateDir, 'auth', 'operator.key'), 'utf8').trim();
    expect((await approveDeviceCode(url, code, key)).status).toBe(200);
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toContain(`open ${url}/auth/device and enter the code ${code}`);
    expect((await cli(['-g', NAME, 'sandbox', 'list'], { env })).code).toBe(0);
  });

  it('signing in again revokes the token it replaces', async () => {
    const old = savedToken();
    const run = startCli(['gateway', 'login', NAME], { ...env, OPENSHELL_NO_BROWSER: '1' }, /enter the code ([A-Z]{4}-[A-Z]{4})/);
    const key = readFileSync(join(stateDir, 'auth', 'operator.key'), 'utf8').trim();
    await approveDeviceCode(url, (await run.matched)[1] ?? '', key);
    expect(await run.exited).toBe(0);
    expect(savedToken()).not.toBe(old);
    expect((await ask('/auth/whoami', old)).status).toBe(401);
    expect((await ask('/auth/whoami', savedToken())).status).toBe(200);
  });

  it('the operator lists tokens and revokes one: its next call answers 401', async () => {
    const token = savedToken();
    const listed = await cli(['gateway', 'tokens', 'list', '--state-dir', stateDir, '-o', 'json'], { env });
    const tokens = JSON.parse(listed.stdout.toString()) as { id: string; state: string; hash?: string }[];
    const id = token.slice(4, 20);
    expect(tokens.find((t) => t.id === id)).toMatchObject({ state: 'active' });
    expect(listed.stdout.toString()).not.toContain(token.split('.')[1]);
    expect(tokens.every((t) => t.hash === undefined)).toBe(true);
    const r = await cli(['gateway', 'tokens', 'revoke', id, '--state-dir', stateDir], { env });
    expect(r.code).toBe(0);
    expect((await ask('/auth/whoami', token)).status).toBe(401);
    const after = await cli(['-g', NAME, 'sandbox', 'list'], { env });
    expect(after.stderr).toContain('token revoked');
  });

  it('logout with the server gone still deletes the token here and says so', async () => {
    const run = startCli(['gateway', 'login', NAME], { ...env, OPENSHELL_NO_BROWSER: '1' }, /enter the code ([A-Z]{4}-[A-Z]{4})/);
    const key = readFileSync(join(stateDir, 'auth', 'operator.key'), 'utf8').trim();
    await approveDeviceCode(url, (await run.matched)[1] ?? '', key);
    expect(await run.exited).toBe(0);
    await served?.stop();
    served = undefined;
    const r = await cli(['gateway', 'logout', NAME], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/deleted the token of srv-auth here, but the gateway's copy could not be revoked \(cannot reach/);
    expect(r.stderr).toContain('gateway tokens revoke');
    expect(() => statSync(tokenFile())).toThrow();
  });
});
