// The workbench, unchanged, on a served gateway: the list, a live deny approved into a policy revision, and a server restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../components/App.tsx';
import type { HttpGateway } from '../../core/gateway/http/client.ts';
import { resolvePolicySource } from '../../core/policy/index.ts';
import { KEY, renderTui, type Tui } from '../unit/tui/render.tsx';
import { RecordingHost } from '../unit/tui/fixtures.ts';
import { execCapture, gateway, uniqueName } from './helpers.ts';
import { startServedHost, type ServedHost } from './served-host.ts';

const local = gateway();
const name = uniqueName('srvtui');
let host: ServedHost;
let served: HttpGateway;
let tui: Tui;

beforeAll(async () => {
  host = await startServedHost();
  const npm = await resolvePolicySource('npm');
  await local.createSandbox({ name, policy: { text: npm.text, source: 'npm' } });
  served = host.client();
  tui = await renderTui(<App gateway={served} host={new RecordingHost()} pollMs={500} />, { columns: 140, rows: 30 });
});

afterAll(async () => {
  tui?.unmount();
  served?.close();
  await local.deleteSandbox(name).catch(() => undefined);
  await host?.close();
});

const curl = (): Promise<unknown> => execCapture(local, name, ['curl', '-s', '-o', '/dev/null', '--max-time', '2', 'https://example.com/']);

describe('the TUI on a served gateway', () => {
  it('shows the served gateway by its URL and lists its sandboxes', async () => {
    const f = await tui.waitFor(new RegExp(`${name} +ready`), 20_000);
    expect(f).toContain(`openshell srv-test ${host.url}`);
    expect(f).toContain('● healthy');
  });

  it('a deny seen live in Traffic becomes a policy revision on the server with a and y', async () => {
    for (let i = 0; i < 30 && !new RegExp(`› ${name} `).test(tui.frame()); i++) await tui.press(KEY.down);
    await tui.press(KEY.enter);
    await tui.waitFor(`showing ${name}`);
    await tui.press(KEY.tab);
    await curl();
    await tui.waitFor(/✗ deny +\/usr\/bin\/curl +example\.com:443/, 30_000);
    await tui.press('a');
    await tui.waitFor('+ rule `allow_example_com_443`', 10_000);
    await tui.press('y');
    await tui.waitFor(`${name}: policy revision 2`, 30_000);
    expect((await local.getPolicy(name)).policy.network_policies?.allow_example_com_443?.binaries).toEqual([{ path: '/usr/bin/curl' }]);
  });

  it('while the server restarts it shows unreachable, then healthy, and traffic from meanwhile appears once', async () => {
    const decisions = (f: string): number => f.match(/ (✓ allow|✗ deny) +\/usr\/bin\/curl +example\.com:443/g)?.length ?? 0;
    await host.down();
    await tui.waitFor('unreachable', 10_000);
    // A decision made while no server runs (revision 2's rule matches it; with no internet here the
    // name does not resolve, so it is denied after the rule): it waits in the supervisor's log.
    await curl();
    await host.up();
    await tui.waitFor('● healthy', 15_000);
    await tui.waitFor((f) => decisions(f) === 2 && f.includes(`Traffic ● FOLLOWING · ${name} · 2`), 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(decisions(tui.frame())).toBe(2);
  });
});
