import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { App } from '../../../components/App.tsx';
import { KEY, renderTui, type Tui } from './render.tsx';
import { decision, deny, RecordingHost, routed, sandbox, TestGateway } from './fixtures.ts';

let tui: Tui | undefined;
afterEach(() => tui?.unmount());

/** The workbench with the Traffic pane focused and two decisions of `alpha` on screen. */
async function start(gw = new TestGateway().withPolicy('alpha')) {
  gw.sandboxes = [sandbox('alpha'), sandbox('beta')];
  tui = await renderTui(<App gateway={gw} host={new RecordingHost()} pollMs={1000} />, { columns: 120, rows: 30 });
  await tui.waitFor('beta');
  await tui.press(KEY.tab);
  gw.events.emit('traffic', decision({ host: 'pypi.org', method: 'GET', path: '/simple/', layer: 'l7', rule: 'pypi', binary: '/usr/bin/pip' }));
  gw.events.emit('traffic', deny());
  await tui.waitFor('evil.example');
  return { gw, tui };
}

const trafficLines = (f: string) => f.split('\n').filter((l) => /\d\d:\d\d:\d\d [✓✗]/.test(l));

describe('the Traffic pane', () => {
  it('shows each decision on one line: time, verdict with symbol, binary, destination, request, rule; and counts them per sandbox', async () => {
    const { gw, tui } = await start();
    expect(gw.watching).toBe(true);
    const lines = trafficLines(tui.frame());
    expect(lines[0]).toMatch(/04:10:00 ✓ allow +\/usr\/bin\/pip +pypi\.org:443 +GET \/simple\/ +pypi/);
    expect(lines[1]).toMatch(/04:10:00 ✗ deny +\/usr\/bin\/curl +evil\.example:443 +-/);
    expect(tui.frame()).toMatch(/alpha +ready +1 +5m +1\/1/);
  });

  it('v shows denies only; / filters by text; Esc in the filter keeps the old one', async () => {
    const { tui } = await start();
    await tui.press('v');
    expect(trafficLines(tui.frame())).toHaveLength(1);
    expect(tui.frame()).toContain('denies only');
    await tui.press('v');
    await tui.press('/');
    for (const ch of 'pypi') await tui.press(ch);
    expect(tui.frame()).toContain('filter traffic');
    await tui.press(KEY.enter);
    const lines = trafficLines(tui.frame());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('pypi.org');
    expect(tui.frame()).toContain('/pypi');
  });

  it('p pauses the stream (new decisions wait) and p again follows it', async () => {
    const { gw, tui } = await start();
    expect(await tui.press('p')).toContain('○ PAUSED');
    gw.events.emit('traffic', decision({ host: 'late.example' }));
    await new Promise((r) => setTimeout(r, 250));
    expect(tui.frame()).not.toContain('late.example');
    expect(await tui.press('p')).toContain('● FOLLOWING');
    expect(await tui.waitFor('late.example')).toBeTruthy();
  });

  it('only shows the selected sandbox once one is picked with Enter in Sandboxes', async () => {
    const { gw, tui } = await start();
    gw.events.emit('traffic', decision({ sandbox: 'beta', host: 'beta.example' }));
    await tui.waitFor('beta.example');
    await tui.press(KEY.shiftTab);
    await tui.press(KEY.down);
    await tui.press(KEY.enter);
    const f = await tui.waitFor('showing beta');
    expect(trafficLines(f)).toHaveLength(1);
    expect(trafficLines(f)[0]).toContain('beta.example');
  });

  it('Enter shows the details: ancestors, reason, bytes', async () => {
    const { tui } = await start();
    const f = await tui.press(KEY.enter);
    expect(f).toContain('Decision');
    expect(f).toContain('ancestors   /bin/bash ← /sbin/init');
    expect(f).toContain('reason      no rule allows /usr/bin/curl to reach evil.example:443');
    expect(f).toContain('bytes       in 1200 B, out 300 B');
    expect(await tui.press(KEY.escape)).toContain('▸ Traffic');
  });

  it('a on a deny shows the narrow rule as a diff and applies it with setPolicy on y', async () => {
    const { gw, tui } = await start();
    const f = await tui.press('a');
    expect(f).toContain('Allow /usr/bin/curl → evil.example:443');
    expect(f).toMatch(/\+ rule `allow_evil_example_443`: added: evil\.example:443 for \/usr\/bin\/curl/);
    expect(gw.setCalls).toHaveLength(0);
    await tui.press('y');
    await tui.waitFor('alpha: policy revision 2');
    expect(gw.setCalls).toHaveLength(1);
    const stored = parse(gw.setCalls[0]!.yaml) as { network_policies: Record<string, unknown> };
    expect(stored.network_policies.allow_evil_example_443).toEqual({ endpoints: [{ host: 'evil.example', port: 443 }], binaries: [{ path: '/usr/bin/curl' }] });
    expect(gw.setCalls[0]!.opts.source).toBe('tui');
  });

  it('A offers the host for any binary; n leaves the policy alone', async () => {
    const { gw, tui } = await start();
    const f = await tui.press('A');
    expect(f).toContain('Allow ANY binary → evil.example:443');
    expect(f).toContain('for /**');
    await tui.press('n');
    expect(await tui.waitFor('cancelled: the policy is unchanged')).toBeTruthy();
    expect(gw.setCalls).toHaveLength(0);
  });

  it('a on an allowed line says why nothing happens', async () => {
    const { tui } = await start();
    await tui.press(KEY.up);
    expect(await tui.press('a')).toContain('that line was allowed');
  });

  it('on a router call (inference.local) the footer drops a/A, a does nothing, and Enter shows the router’s facts', async () => {
    const { gw, tui } = await start();
    const footer = (f: string) => f.split('\n').slice(-3).join('\n');
    expect(footer(tui.frame())).toContain('a allow');
    gw.events.emit(
      'traffic',
      routed(
        { status: 403, backend: undefined, tier: undefined, findings: { private_key: 1 }, tokensIn: 0, tokensOut: 0 },
        { action: 'deny', rule: null, reason: 'the privacy policy denies requests with a private key', error: 'privacy_denied' },
      ),
    );
    await tui.waitFor('inference.local');
    const f = await tui.waitFor((f) => !footer(f).includes('a allow'));
    expect(footer(f)).not.toContain('A allow host');
    expect(footer(f)).toContain('Enter details');
    await tui.press('a');
    await tui.press('A');
    expect(tui.frame()).not.toContain('Allow');
    expect(gw.setCalls).toHaveLength(0);
    const details = await tui.press(KEY.enter);
    expect(details).toContain('verdict     ✗ deny (inference)');
    expect(details).toContain('findings    private_key×1');
    expect(details).toContain('backend     (none reached)');
    expect(details).not.toContain('a: allow');
    await tui.press(KEY.escape);
    // Back on an ordinary deny, approving is offered again.
    await tui.press(KEY.up);
    expect(await tui.waitFor((f) => footer(f).includes('a allow'))).toContain('A allow host');
  });

  it('says in one line that live traffic is not available when the gateway cannot stream it', async () => {
    const gw = new TestGateway();
    gw.watching = 'unsupported';
    gw.sandboxes = [sandbox('alpha')];
    tui = await renderTui(<App gateway={gw} host={new RecordingHost()} />, { columns: 120, rows: 30 });
    expect(await tui.waitFor('live traffic is not available: traffic: not implemented yet')).toBeTruthy();
  });
});
