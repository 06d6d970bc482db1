import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { docker } from './egress-helpers.ts';
import { cli, gateway } from './helpers.ts';

/** `openshell provider …` and `sandbox create --provider` as a user runs them, on the real engine. */

const id = randomBytes(3).toString('hex');
const name = (n: string): string => `prov-cli-${id}-${n}`;
const SECRET = `sk-${randomBytes(16).toString('hex')}`;
const made: string[] = [];

async function create(n: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Awaited<ReturnType<typeof cli>>> {
  made.push(n);
  return cli(['provider', 'create', n, ...args], { env });
}

afterAll(async () => {
  const gw = gateway();
  await Promise.all([...new Set(made)].map((n) => gw.deleteProvider(n).catch(() => undefined)));
});

describe('provider commands', () => {
  it('creates with type defaults, shows keys, hosts and fingerprints, never the value', async () => {
    const r = await create(name('oa'), ['--type', 'openai', '--credential', 'OPENAI_API_KEY', '-o', 'json'], { OPENAI_API_KEY: SECRET });
    expect(r.code, r.stderr).toBe(0);
    const view = JSON.parse(r.stdout.toString()) as Record<string, unknown>;
    expect(view).toMatchObject({ name: name('oa'), type: 'openai', keys: ['OPENAI_API_KEY'], hosts: ['api.openai.com'] });
    const table = await cli(['provider', 'get', name('oa')]);
    expect(table.stdout.toString()).toMatch(/credentials:\n {2}OPENAI_API_KEY {2}sha256:[0-9a-f]{12}…\n/);
    const list = await cli(['provider', 'list']);
    expect(list.stdout.toString()).toMatch(new RegExp(`${name('oa')}\\s+openai\\s+OPENAI_API_KEY\\s+api\\.openai\\.com`));
    for (const o of [r, table, list]) expect(o.stdout.toString() + o.stderr).not.toContain(SECRET);
  });

  it('says what is wrong, naming keys but never values', async () => {
    const missing = await create(name('missing'), ['--type', 'github', '--credential', 'GH_TOKEN_NOT_SET_ANYWHERE']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--credential GH_TOKEN_NOT_SET_ANYWHERE: GH_TOKEN_NOT_SET_ANYWHERE is not set in your environment');
    const newline = await create(name('nl'), ['--type', 'generic', '--host', 'a.test', '--credential', `K=${SECRET}\r\nX: y`]);
    expect(newline.code).toBe(2);
    expect(newline.stderr).toContain('credential `K` contains a line break');
    expect(newline.stderr).not.toContain(SECRET);
    const type = await create(name('type'), ['--type', 'aws', '--credential', 'K=v']);
    expect(type.stderr).toContain('unknown provider type `aws`');
    const gone = await cli(['provider', 'get', name('never-made')]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`provider \`${name('never-made')}\` not found`);
  });

  it('refuses to overwrite without --replace; --replace keeps the creation time and changes the fingerprint', async () => {
    const first = JSON.parse((await create(name('gh'), ['--type', 'github', '--credential', 'GITHUB_TOKEN=one', '-o', 'json'])).stdout.toString()) as {
      createdAt: string;
      fingerprints: Record<string, string>;
    };
    const again = await create(name('gh'), ['--type', 'github', '--credential', 'GITHUB_TOKEN=two']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    const replaced = await create(name('gh'), ['--type', 'github', '--credential', 'GITHUB_TOKEN=two', '--host', 'ghe.example.com', '--replace', '-o', 'json']);
    const view = JSON.parse(replaced.stdout.toString()) as typeof first & { hosts: string[] };
    expect(view.createdAt).toBe(first.createdAt);
    expect(view.hosts).toEqual(['ghe.example.com']);
    expect(view.fingerprints.GITHUB_TOKEN).not.toBe(first.fingerprints.GITHUB_TOKEN);
  });

  it('loses none of several providers created at the same time by separate processes', async () => {
    const names = [1, 2, 3, 4].map((i) => name(`par${i}`));
    const results = await Promise.all(names.map((n) => create(n, ['--type', 'anthropic', '--credential', 'ANTHROPIC_API_KEY=k'])));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const listed = (JSON.parse((await cli(['provider', 'list', '-o', 'json'])).stdout.toString()) as { name: string }[]).map((p) => p.name);
    expect(listed).toEqual(expect.arrayContaining(names));
  });

  it('deletes', async () => {
    await create(name('del'), ['--type', 'anthropic', '--credential', 'ANTHROPIC_API_KEY=k']);
    const r = await cli(['provider', 'delete', name('del')]);
    expect(r.stderr).toBe(`deleted provider ${name('del')}\n`);
    expect((await cli(['provider', 'get', name('del')])).code).toBe(2);
  });
});

describe('sandbox create --provider', () => {
  it('refuses an unknown provider or a clashing --env before anything is created', async () => {
    const sb = `prov-cli-${id}-sb`;
    const unknown = await cli(['sandbox', 'create', '--name', sb, '--provider', name('nope'), '-d']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`provider \`${name('nope')}\` not found`);
    await create(name('env'), ['--type', 'generic', '--host', 'a.test', '--credential', 'TOKEN=v']);
    const clash = await cli(['sandbox', 'create', '--name', sb, '--provider', name('env'), '--env', 'TOKEN=mine', '-d']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain(`--env TOKEN clashes with provider \`${name('env')}\``);
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ name: [sb] }) });
    expect(left).toEqual([]);
  });
});
