import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, gateway, uniqueName } from './helpers.ts';

const gw = gateway();
const name = uniqueName('cli');

beforeAll(async () => {
  await gw.createSandbox({ name, labels: { suite: 'cli' } });
});
afterAll(async () => {
  await gw.deleteSandbox(name).catch(() => undefined);
});

const names = async (): Promise<string[]> => (await gw.listSandboxes()).map((s) => s.name).sort();

/** One clear line on stderr, a non-zero exit, and nothing changed on the engine. */
async function expectRefused(args: string[], message: RegExp, env?: NodeJS.ProcessEnv): Promise<void> {
  const before = await names();
  const r = await cli(args, env ? { env } : {});
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/^error: .+$/m);
  expect(await names()).toEqual(before);
}

describe('the openshell CLI against a real engine', () => {
  it('lists sandboxes as a table, as JSON and as YAML', async () => {
    const table = await cli(['sandbox', 'list', '--selector', 'suite=cli']);
    expect(table.stdout.toString()).toMatch(new RegExp(`^NAME\\s+PHASE\\s+IMAGE\\s+AGE[^\\n]*\\n${name}\\s+ready`));
    const json = JSON.parse((await cli(['sandbox', 'list', '--selector', 'suite=cli', '-o', 'json'])).stdout.toString()) as {
      name: string;
      phase: string;
    }[];
    expect(json.map((s) => [s.name, s.phase])).toEqual([[name, 'ready']]);
    expect((await cli(['sandbox', 'get', name, '-o', 'yaml'])).stdout.toString()).toMatch(new RegExp(`name: ${name}\\nid: `));
  });

  it('propagates the exit code and pipes stdin through `sandbox exec`', async () => {
    const r = await cli(['sandbox', 'exec', name, '--', 'sh', '-c', 'tr a-z A-Z; exit 3'], { input: Buffer.from('shout\n') });
    expect([r.code, r.stdout.toString()]).toEqual([3, 'SHOUT\n']);
  });

  it('refuses an unknown sandbox', async () => {
    await expectRefused(['sandbox', 'exec', 'no-such-box', '--', 'true'], /sandbox `no-such-box` not found/);
  });

  it('refuses a duplicate name', async () => {
    await expectRefused(['sandbox', 'create', '--name', name, '--detach'], /sandbox `.*` already exists/);
  });

  it('refuses a missing image', async () => {
    await expectRefused(['sandbox', 'create', '--image', 'nope/missing:1', '--detach'], /image `nope\/missing:1` is not on the Docker engine/);
  });

  it('refuses an invalid --memory', async () => {
    await expectRefused(['sandbox', 'create', '--memory', 'lots', '--detach'], /invalid --memory `lots`/);
  });

  it('refuses to run the agent as root', async () => {
    await expectRefused(['sandbox', 'create', '--user', '0', '--detach'], /refusing to run the agent as root/);
    await expectRefused(['sandbox', 'create', '--user', 'root', '--detach'], /refusing to run the agent as root/);
  });

  it('says how to start Docker when the engine is unreachable', async () => {
    const r = await cli(['sandbox', 'list'], { env: { DOCKER_HOST: 'unix:///tmp/no-docker-here.sock' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/Docker is not reachable at \/tmp\/no-docker-here\.sock/);
    expect(r.stderr).toMatch(/hint: start an engine/);
  });

  it('has --help on every command', async () => {
    for (const args of [['sandbox', 'create'], ['sandbox', 'exec'], ['gateway', 'status'], ['image', 'build']]) {
      const r = await cli([...args, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout.toString()).toMatch(/^Usage: openshell /);
    }
  });
});
