// The Gateways dialog adding, switching to and removing a real second host (netns + sshd + dockerd).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../components/App.tsx';
import { GatewayRegistry } from '../../core/gateway/registry.ts';
import { gatewayDirectory } from '../../src/tui/directory.ts';
import { KEY, renderTui, type Tui } from '../unit/tui/render.tsx';
import { RecordingHost } from '../unit/tui/fixtures.ts';
import { gateway } from './helpers.ts';
import { startRemoteHost, stopRemoteHost, type RemoteHost } from './remote-host.ts';

let host: RemoteHost;
let dir = '';
let tui: Tui;
let registry: GatewayRegistry;

beforeAll(async () => {
  host = await startRemoteHost();
  dir = mkdtempSync(join(tmpdir(), 'openshell-tui-remote-'));
  // `user@host` as typed in the dialog: the key comes from ssh config, the host key is asked on screen.
  writeFileSync(join(dir, 'known_hosts'), '');
  writeFileSync(
    join(dir, 'ssh_config'),
    [`Host ${host.ip}`, `  IdentityFile ${host.identity}`, 'Host *', `  UserKnownHostsFile ${join(dir, 'known_hosts')}`, '  StrictHostKeyChecking yes', ''].join('\n'),
  );
  process.env.OPENSHELL_SSH_CONFIG = join(dir, 'ssh_config');
  registry = new GatewayRegistry(join(dir, 'conf'));
  tui = await renderTui(<App gateway={gateway()} host={new RecordingHost()} directory={gatewayDirectory(registry)} pollMs={500} />, { columns: 140, rows: 30 });
  await tui.waitFor('● healthy', 20_000);
});

afterAll(async () => {
  tui.unmount();
  delete process.env.OPENSHELL_SSH_CONFIG;
  await stopRemoteHost();
  rmSync(dir, { recursive: true, force: true });
});

const NAME = '10-231-0-2';

describe('the Gateways dialog against a real SSH host', () => {
  it('a adds user@host: the host key is asked on screen, progress shows, and the host is registered', async () => {
    await tui.press('g');
    await tui.press('a');
    for (const ch of `${host.user}@${host.ip}`) await tui.press(ch);
    await tui.press(KEY.enter);
    const ask = await tui.waitFor(`The authenticity of host ${host.ip} can't be established. Trust it?`, 30_000);
    expect(ask).toMatch(/ssh-ed25519 key fingerprint is SHA256:[A-Za-z0-9+/]{43}/);
    await tui.press('y');
    // The message line narrates provisioning (network, images) until the host is registered.
    const progress = new Set<string>();
    await tui.waitFor((fr) => {
      for (const m of fr.match(new RegExp(`gateway ${NAME}: [^\\n]*`, 'g')) ?? []) progress.add(m);
      return fr.includes(`added gateway ${NAME} (ssh://${host.user}@${host.ip}/var/run/docker.sock)`);
    }, 240_000);
    expect(progress.size).toBeGreaterThan(0);
    expect(registry.find(NAME)).toMatchObject({ kind: 'ssh', remote: `${host.user}@${host.ip}` });
    expect(readFileSync(join(dir, 'known_hosts'), 'utf8')).toContain('ssh-ed25519');
  });

  it('Enter switches the workbench to the remote engine; x refuses it while shown and removes it after switching back', async () => {
    await tui.press('g');
    await tui.press(KEY.down);
    await tui.press(KEY.enter);
    const f = await tui.waitFor((fr) => fr.startsWith(`openshell ${NAME} ssh://`) && fr.includes('● healthy'), 30_000);
    expect(f).toContain('0 sandboxes');
    expect(registry.selected()).toBe(NAME);
    await tui.press('g');
    expect(await tui.press('x')).toContain(`the workbench shows ${NAME}; switch to another gateway before removing it`);
    await tui.press(KEY.up);
    await tui.press(KEY.enter);
    await tui.waitFor((fr) => fr.startsWith('openshell local unix://'), 10_000);
    await tui.press('g');
    await tui.press(KEY.down);
    expect(await tui.press('x')).toContain(`Remove gateway ${NAME}?`);
    expect(await tui.press('y')).toContain(`removed gateway ${NAME}`);
    expect(registry.find(NAME)).toBeUndefined();
  });
});
