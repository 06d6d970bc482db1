import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../../../components/App.tsx';
import { GatewayRegistry } from '../../../core/gateway/registry.ts';
import { gatewayDirectory } from '../../../src/tui/directory.ts';
import { KEY, renderTui, type Tui } from './render.tsx';
import { RecordingHost, sandbox, TestGateway } from './fixtures.ts';

let dir = '';
let tui: Tui | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'openshell-gw-'));
});
afterEach(() => {
  tui?.unmount();
  tui = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A real registry in a temp dir with one SSH registration. The registry cannot point a second name at
 * the local engine, so `open` answers each registered name with an in-memory gateway of that name.
 */
async function start() {
  const registry = new GatewayRegistry(dir);
  registry.add({ name: 'build-box', remote: 'me@build-box.example:2222', socketPath: '/var/run/docker.sock' });
  const local = new TestGateway('local');
  local.sandboxes = [sandbox('alpha')];
  const opened: string[] = [];
  const directory = gatewayDirectory(registry, {
    connect: (entry) => {
      opened.push(entry.name);
      if (entry.kind === 'local') return local;
      const remote = new TestGateway(entry.name);
      remote.sandboxes = [sandbox('gamma-on-box')];
      return remote;
    },
  });
  tui = await renderTui(<App gateway={local} host={new RecordingHost()} directory={directory} pollMs={40} />, { columns: 120, rows: 30 });
  await tui.waitFor('alpha');
  return { tui, registry, opened };
}

describe('the Gateways dialog over the registry', () => {
  it('g lists every registered gateway with its kind and location, the shown one marked', async () => {
    const { tui } = await start();
    const f = await tui.press('g');
    expect(f).toMatch(/› ● local +local +unix:\/\/\/var\/run\/docker\.sock \(default\)/);
    expect(f).toMatch(/ {3}build-box +ssh +ssh:\/\/me@build-box\.example:2222\/var\/run\/docker\.sock/);
    expect(f).toContain('a add gateway');
  });

  it('Enter on another gateway switches the whole workbench and makes it the default', async () => {
    const { tui, opened } = await start();
    await tui.press('g');
    await tui.press(KEY.down);
    const f = await tui.press(KEY.enter);
    expect(f.split('\n')[0]).toMatch(/^openshell build-box /);
    expect(await tui.waitFor('gamma-on-box')).not.toContain('alpha');
    expect(tui.frame()).toContain('switched to gateway build-box');
    expect(opened).toEqual(['build-box']);
    expect(new GatewayRegistry(dir).selected()).toBe('build-box');
    expect(await tui.press('g')).toMatch(/› ● build-box +ssh .*\(default\)/);
    await tui.press(KEY.up);
    await tui.press(KEY.enter);
    expect(await tui.waitFor('alpha')).toMatch(/^openshell local /);
  });

  it('x asks before removing a registration, n keeps it, y forgets it; local is never removed', async () => {
    const { tui } = await start();
    await tui.press('g');
    expect(await tui.press('x')).toContain('`local` is the built-in gateway and cannot be removed');
    await tui.press(KEY.down);
    expect(await tui.press('x')).toContain('Remove gateway build-box?');
    expect(await tui.press('n')).toContain('build-box');
    expect(new GatewayRegistry(dir).find('build-box')).toBeDefined();
    await tui.press(KEY.down);
    await tui.press('x');
    const f = await tui.press('y');
    expect(f).toContain('removed gateway build-box');
    expect(f).toContain('Gateways');
    expect(f).not.toContain('ssh://me@build-box');
    expect(new GatewayRegistry(dir).find('build-box')).toBeUndefined();
  });

  it('a answers a plain http:// URL with a clear message and registers nothing', async () => {
    const { tui } = await start();
    await tui.press('g');
    expect(await tui.press('a')).toContain('Add a gateway: user@host[:port] over SSH, or https://host[:port]');
    await tui.press('http://gw.example.com');
    await tui.press(KEY.enter);
    const f = await tui.waitFor('served gateways are reached over https, not http');
    expect(f).toContain('expected https://host[:port]');
    expect(new GatewayRegistry(dir).list().map((g) => g.name)).toEqual(['local', 'build-box']);
  });

  it('a with a host that refuses SSH shows the error on the message line and registers nothing', async () => {
    const { tui } = await start();
    await tui.press('g');
    await tui.press('a');
    await tui.press('me@127.0.0.1:1');
    await tui.press(KEY.enter);
    const f = await tui.waitFor('cannot reach 127.0.0.1:1', 15_000);
    expect(f).toContain('ECONNREFUSED');
    expect(new GatewayRegistry(dir).find('127-0-0-1')).toBeUndefined();
  });
});
