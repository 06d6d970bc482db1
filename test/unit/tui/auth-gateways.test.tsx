import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../../../components/App.tsx';
import { readCredential, saveCredential } from '../../../core/gateway/http/credentials.ts';
import { GatewayRegistry } from '../../../core/gateway/registry.ts';
import { gatewayDirectory } from '../../../src/tui/directory.ts';
import { approveDeviceCode } from '../../fixtures/auth-browser.ts';
import { startAuthServer, type AuthServer } from '../gateway/auth-server.ts';
import { KEY, renderTui, type Tui } from './render.tsx';
import { RecordingHost, sandbox, TestGateway } from './fixtures.ts';

const BROWSER_SCRIPT = fileURLToPath(new URL('../../fixtures/auth-browser.ts', import.meta.url));
const ENV = ['OPENSHELL_CONFIG_DIR', 'OPENSHELL_NO_BROWSER', 'BROWSER', 'AUTH_BROWSER_KEY_FILE'] as const;

let dir = '';
let tui: Tui | undefined;
let server: AuthServer | undefined;
const savedEnv = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'openshell-auth-tui-'));
  // The token goes where the CLI would look for it: gateways/<name>/token.json under the config dir.
  process.env.OPENSHELL_CONFIG_DIR = dir;
});
afterEach(async () => {
  tui?.unmount();
  tui = undefined;
  await server?.close();
  server = undefined;
  for (const k of ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The workbench over a real registry; every non-local entry opens as an in-memory gateway of that name. */
async function start() {
  const registry = new GatewayRegistry(dir);
  const local = new TestGateway('local');
  local.sandboxes = [sandbox('alpha')];
  const directory = gatewayDirectory(registry, {
    connect: (entry) => {
      if (entry.kind === 'local') return local;
      const served = new TestGateway(entry.name);
      served.sandboxes = [sandbox('served-box')];
      return served;
    },
  });
  tui = await renderTui(<App gateway={local} host={new RecordingHost()} directory={directory} pollMs={40} />, { columns: 160, rows: 32 });
  await tui.waitFor('alpha');
  return tui;
}

async function typeUrl(t: Tui, url: string): Promise<string> {
  await t.press('g');
  await t.press('a');
  await t.press(url);
  await t.press(KEY.enter);
  return t.waitFor("can't be established");
}

describe('adding a served (https) gateway from g', () => {
  it('confirms the certificate fingerprint, signs in with a device code shown on screen, lists and switches to it', async () => {
    server = await startAuthServer({ pollIntervalSeconds: 1 });
    process.env.OPENSHELL_NO_BROWSER = '1';
    const t = await start();
    const ask = await typeUrl(t, server.url);
    expect(ask).toContain(`The authenticity of gateway ${new URL(server.url).host} can't be established. Trust it?`);
    expect(ask).toContain(`Its TLS certificate fingerprint is ${server.fingerprint}.`);
    await t.press('y');
    const shown = await t.waitFor(/enter the code [A-Z]{4}-[A-Z]{4}/);
    expect(shown).toContain(`open ${server.url}/auth/device`);
    const code = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(shown)?.[1] ?? '';
    await approveDeviceCode(server.url, code, server.operatorKey);
    await t.waitFor('added gateway 127-0-0-1', 10_000);
    const entry = new GatewayRegistry(dir).find('127-0-0-1');
    expect(entry).toMatchObject({ kind: 'https', url: server.url, fingerprint: server.fingerprint });
    expect(readCredential('127-0-0-1', server.url)?.token).toMatch(/^osg_/);
    const list = await t.press('g');
    expect(list).toMatch(new RegExp(`127-0-0-1 +https +${server.url.replace(/[.:/]/g, '\\$&')} · signed in`));
    await t.press(KEY.down);
    await t.press(KEY.enter);
    expect(await t.waitFor('served-box')).toMatch(/^openshell 127-0-0-1 /);
  });

  it('signs in through the browser ($BROWSER) when there is one', async () => {
    server = await startAuthServer();
    process.env.BROWSER = `${process.execPath} --import tsx ${BROWSER_SCRIPT}`;
    process.env.AUTH_BROWSER_KEY_FILE = join(server.stateDir, 'auth', 'operator.key');
    delete process.env.OPENSHELL_NO_BROWSER;
    const t = await start();
    await typeUrl(t, server.url);
    await t.press('y');
    await t.waitFor('added gateway 127-0-0-1', 20_000);
    expect(readCredential('127-0-0-1', server.url)?.subject).toContain('@');
  });

  it('Esc while the sign-in waits for an operator cancels it: nothing registered, no token kept', async () => {
    server = await startAuthServer({ pollIntervalSeconds: 1 });
    process.env.OPENSHELL_NO_BROWSER = '1';
    const t = await start();
    await typeUrl(t, server.url);
    await t.press('y');
    await t.waitFor(/enter the code [A-Z]{4}-[A-Z]{4}/);
    expect(await t.waitFor('Esc cancel connecting')).toContain('Tab next pane');
    await t.press(KEY.escape);
    const after = await t.waitFor(`adding ${server.url} cancelled: nothing was registered`);
    expect(after).toContain('▸ Sandboxes');
    expect(after).not.toContain('cancel connecting');
    expect(new GatewayRegistry(dir).find('127-0-0-1')).toBeUndefined();
    expect(readCredential('127-0-0-1')).toBeUndefined();
    // The workbench goes on answering keys.
    expect(await t.press('g')).toContain('Gateways');
  });

  it('lists whether this client is signed in to each served gateway', async () => {
    const registry = new GatewayRegistry(dir);
    registry.addHttps({ name: 'build-box', url: 'https://build-box.example:8443' });
    registry.addHttps({ name: 'old-box', url: 'https://old-box.example:8443' });
    registry.addHttps({ name: 'ci-box', url: 'https://ci-box.example:8443' });
    saveCredential('build-box', { token: 'osg_test', url: 'https://build-box.example:8443' });
    saveCredential('old-box', { token: 'osg_old', url: 'https://old-box.example:8443', expiresAt: '2020-01-01T00:00:00Z' });
    // A token issued by another URL does not count for this registration.
    saveCredential('ci-box', { token: 'osg_elsewhere', url: 'https://elsewhere.example' });
    const t = await start();
    const list = await t.press('g');
    expect(list).toMatch(/build-box +https +https:\/\/build-box\.example:8443 · signed in/);
    expect(list).toMatch(/old-box +https +https:\/\/old-box\.example:8443 · token expired/);
    expect(list).toMatch(/ci-box +https +https:\/\/ci-box\.example:8443 · not signed in/);
    expect(list).toContain('openshell gateway login NAME');
    expect(list).not.toMatch(/local +local .*signed/);
    expect(list).not.toContain('osg_');
  });

  it('n refuses the certificate: nothing registered, nothing sent', async () => {
    server = await startAuthServer();
    const t = await start();
    await typeUrl(t, server.url);
    await t.press('n');
    expect(await t.waitFor('not trusted; nothing was registered')).toContain(`certificate of ${server.url} not trusted`);
    expect(new GatewayRegistry(dir).find('127-0-0-1')).toBeUndefined();
    expect(readCredential('127-0-0-1')).toBeUndefined();
  });
});
