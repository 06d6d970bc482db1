import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { supervisorEntrypoint } from '../../core/supervisor/boot.ts';

/** Runs the boot script with fake iptables tools on PATH; returns its output lines as JSON. */
function boot(ip4Ok: boolean): { type: string; time?: string; message?: string }[] {
  const bin = mkdtempSync(join(tmpdir(), 'fakebin-'));
  const tool = (name: string, ok: boolean): void => {
    writeFileSync(join(bin, name), `#!/bin/sh\ncat > /dev/null\nexit ${ok ? 0 : 1}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  tool('iptables-restore', ip4Ok);
  tool('ip6tables-restore', true);
  writeFileSync(join(bin, 'node'), '#!/bin/sh\necho \'{"type":"ready"}\'\n');
  chmodSync(join(bin, 'node'), 0o755);
  const { Entrypoint, Env } = supervisorEntrypoint();
  const env = Object.fromEntries(Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  let out: string;
  try {
    out = execFileSync(Entrypoint[0]!, Entrypoint.slice(1), { env: { ...env, PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
  } catch (err) {
    out = (err as { stdout: string }).stdout;
  }
  return out.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
}

describe('the supervisor boot script', () => {
  it('announces the fence with a timestamp before handing over to the supervisor', () => {
    const lines = boot(true);
    expect(lines.map((l) => l.type)).toEqual(['fence', 'ready']);
    expect(Date.parse(lines[0]!.time!)).toBeGreaterThan(Date.now() - 60_000);
  });
  it('stops with a fatal line, and never starts the proxy, when the fence cannot be installed', () => {
    const lines = boot(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: 'fatal', message: 'installing the IPv4 fence failed' });
    expect(Date.parse(lines[0]!.time!)).toBeGreaterThan(0);
  });
});
