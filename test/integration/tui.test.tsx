import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../components/App.tsx';
import { KEY, renderTui, type Tui } from '../unit/tui/render.tsx';
import { RecordingHost } from '../unit/tui/fixtures.ts';
import { execCapture, gateway, uniqueName } from './helpers.ts';
import { resolvePolicySource } from '../../core/policy/index.ts';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { GatewayRegistry } from '../../core/gateway/registry.ts';
import type { Captured } from '../../components/host.ts';
import { gatewayDirectory } from '../../src/tui/directory.ts';
import { captureOpenshell } from '../../src/tui/host.ts';

/** Records terminal hand-overs, but really runs `:` commands as child processes. */
class CapturingHost extends RecordingHost {
  override capture(args: readonly string[], gateway: string): Promise<Captured> {
    return captureOpenshell(args, gateway);
  }
}

const gw = gateway();
const existing = uniqueName('tui');
const made = uniqueName('tuic');
let tui: Tui;

beforeAll(async () => {
  const npm = await resolvePolicySource('npm');
  await gw.createSandbox({ name: existing, policy: { text: npm.text, source: 'npm' } });
  tui = await renderTui(<App gateway={gw} host={new CapturingHost()} pollMs={500} />, { columns: 140, rows: 30 });
});
afterAll(async () => {
  tui.unmount();
  for (const name of [existing, made]) await gw.deleteSandbox(name).catch(() => undefined);
});

/** Moves the Sandboxes cursor onto `name`. */
async function cursorTo(name: string) {
  for (let i = 0; i < 30 && !new RegExp(`› ${name} `).test(tui.frame()); i++) await tui.press(KEY.down);
  for (let i = 0; i < 30 && !new RegExp(`› ${name} `).test(tui.frame()); i++) await tui.press(KEY.up);
  expect(tui.frame()).toMatch(new RegExp(`› ${name} `));
}

describe('the TUI against the real local gateway', () => {
  it('lists a sandbox that exists on the engine, with its phase and image', async () => {
    const f = await tui.waitFor(existing, 10_000);
    // REV is the policy revision read from the sandbox's state volume: 1, the preset it was created with.
    expect(f).toMatch(new RegExp(`${existing} +ready +1 +\\d+s +0/0 +openshell/sandbox`));
    expect(f).toContain('● healthy');
  });

  it('c creates a real sandbox from the form', async () => {
    await tui.press('c');
    for (const ch of made) await tui.press(ch);
    // Image, Policy, Providers, Command: Enter on the last field creates.
    for (let i = 0; i < 4; i++) await tui.press(KEY.tab);
    await tui.press(KEY.enter);
    await tui.waitFor(`created ${made} (ready)`, 60_000);
    expect((await gw.getSandbox(made)).phase).toBe('ready');
    await tui.waitFor(new RegExp(`${made} +ready`), 5000);
  });

  it('r restarts it and d deletes it from the engine after y', async () => {
    await cursorTo(made);
    await tui.press('r');
    await tui.waitFor(`restarted ${made}: ready`, 60_000);
    expect((await gw.getSandbox(made)).phase).toBe('ready');
    await tui.press('d');
    await tui.waitFor(`Delete sandbox ${made}?`);
    await tui.press('y');
    await tui.waitFor(`deleted ${made}`, 60_000);
    await expect(gw.getSandbox(made)).rejects.toThrow('not found');
    expect(await tui.waitFor((f) => !new RegExp(`${made} +ready`).test(f), 5000)).toContain(existing);
  });
});

describe('the : command line against the real CLI', () => {
  it(':sandbox list runs `openshell sandbox list` and shows the real list in a view', async () => {
    await tui.press(':');
    for (const ch of 'sandbox list') await tui.press(ch);
    await tui.press(KEY.enter);
    const f = await tui.waitFor('openshell sandbox list — exit 0', 60_000);
    expect(f).toMatch(/NAME +PHASE +IMAGE +AGE +REV/);
    expect(f).toMatch(new RegExp(`${existing} +ready +openshell/sandbox\\S* +\\d+s +1\\b`));
    await tui.press(KEY.escape);
    expect(await tui.waitFor('exited with code 0')).toContain('▸ Sandboxes');
  });
});

describe('policy and traffic panes against the real gateway', () => {
  it('a deny seen live in Traffic becomes a new policy revision with a and y', async () => {
    await cursorTo(existing);
    await tui.press(KEY.enter);
    await tui.waitFor(`showing ${existing}`);
    await tui.press(KEY.tab);
    await execCapture(gw, existing, ['curl', '-s', '-o', '/dev/null', '--max-time', '5', 'https://example.com/']);
    const f = await tui.waitFor(/✗ deny +\/usr\/bin\/curl +example\.com:443/, 30_000);
    expect(f).toContain('▸ Traffic');
    await tui.press('a');
    await tui.waitFor('+ rule `allow_example_com_443`', 10_000);
    await tui.press('y');
    await tui.waitFor(`${existing}: policy revision 2`, 30_000);
    const rev = await gw.getPolicy(existing);
    expect(rev.version).toBe(2);
    expect(rev.policy.network_policies?.allow_example_com_443?.binaries).toEqual([{ path: '/usr/bin/curl' }]);
  });

  it('space in Policy turns a block off on the real sandbox, and u brings it back', async () => {
    await tui.press(KEY.tab);
    await tui.waitFor(new RegExp(`▸ Policy ${existing} · revision 2`), 10_000);
    // The cursor starts on the first block in file order.
    const block = Object.keys((await gw.getPolicy(existing)).policy.network_policies ?? {})[0]!;
    await tui.press(KEY.space);
    await tui.waitFor(`Turn block ${block} off`, 10_000);
    await tui.press('y');
    await tui.waitFor('policy revision 3', 30_000);
    expect((await gw.getPolicy(existing)).policy.network_policies?.[block]?.enabled).toBe(false);
    await tui.press('u');
    await tui.waitFor(`Roll ${existing} back to revision 2?`, 10_000);
    await tui.press('y');
    await tui.waitFor('policy revision 4 (= revision 2)', 30_000);
    expect((await gw.getPolicy(existing)).policy.network_policies?.[block]?.enabled).toBeUndefined();
  });
});

describe('switching gateways against the real engine', () => {
  it('Enter in g switches to another registered name and the workbench shows its real sandboxes', async () => {
    // The registry only registers SSH hosts besides `local`; this one is answered by the local engine.
    const dir = mkdtempSync(join(tmpdir(), 'openshell-gw-'));
    const registry = new GatewayRegistry(dir);
    registry.add({ name: 'other-box', remote: 'me@other-box.example', socketPath: '/var/run/docker.sock' });
    const directory = gatewayDirectory(registry, { connect: (e) => new EmbeddedGateway(e.name) });
    // A gateway object of its own: two workbenches watching one object would each see both streams.
    const other = await renderTui(<App gateway={gateway()} host={new RecordingHost()} directory={directory} pollMs={500} />, { columns: 140, rows: 30 });
    try {
      await other.waitFor(existing, 10_000);
      await other.press('g');
      await other.press(KEY.down);
      await other.press(KEY.enter);
      const f = await other.waitFor((fr) => fr.startsWith('openshell other-box') && fr.includes(existing), 10_000);
      expect(f).toContain('switched to gateway other-box');
      expect(f).toContain('● healthy');
      expect(new GatewayRegistry(dir).selected()).toBe('other-box');
    } finally {
      other.unmount();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
