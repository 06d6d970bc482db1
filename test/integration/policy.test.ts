import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../../core/docker/client.ts';
import { containerName } from '../../core/docker/labels.ts';
import { readStateFile } from '../../core/docker/policy-volume.ts';
import type { Revision } from '../../core/policy/index.ts';
import { cli, gateway, uniqueName } from './helpers.ts';

const name = uniqueName('policy');
const docker = dockerClient();
const gw = gateway();
let dir = '';

const STATIC = `version: 1
filesystem_policy:
  include_workdir: true
  read_only: [/usr, /lib, /proc, /dev/urandom, /app, /etc, /var/log]
  read_write: [/tmp, /dev/null]
landlock:
  compatibility: best_effort
`;
const VALID = `${STATIC}network_policies:
  pypi:
    endpoints:
      - { host: pypi.org, port: 443 }
    binaries:
      - path: /usr/bin/python3*
`;
const INVALID = `${STATIC}network_policies:
  pypi:
    endpoints:
      - { host: pypi.org, prot: 443 }
    binaries: [{ path: /usr/bin/python3 }]
`;

const file = async (base: string, text: string): Promise<string> => {
  const path = join(dir, base);
  await writeFile(path, text);
  return path;
};
const revisions = async (): Promise<Revision[]> => JSON.parse((await cli(['policy', 'list', name, '-o', 'json'])).stdout.toString()) as Revision[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openshell-policy-'));
  const r = await cli(['sandbox', 'create', '--name', name, '--policy', 'npm', '-d']);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('policy revisions of a running sandbox', () => {
  it('starts at revision 1 from the --policy preset', async () => {
    const r = await cli(['policy', 'get', name]);
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout.toString();
    expect(text).toMatch(/^Version: +1\nHash: +sha256:[0-9a-f]{64}\nStatus: +\w+\nSource: +preset npm\nCreated: .+\n---\nversion: 1\n/);
    expect(text).toContain('registry.npmjs.org');
  });

  it('refuses an invalid file with positioned problems and stores nothing', async () => {
    const r = await cli(['policy', 'set', name, await file('bad.yaml', INVALID)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:11:\d+: error: .*unknown key `prot`, did you mean `port`\?/);
    expect((await revisions()).map((x) => x.version)).toEqual([1]);
  });

  it('stores a valid file as revision 2 on the state volume, and --wait sees it loaded', async () => {
    const r = await cli(['policy', 'set', name, await file('good.yaml', VALID), '--wait', '--timeout', '20']);
    expect(r.stdout.toString() + r.stderr).toMatch(/revision 2 stored \([0-9a-f]{12}\)/);
    const onVolume = JSON.parse((await readStateFile(docker.getContainer(containerName(name, 'supervisor')), 'policy.json'))!) as {
      version: number;
      hash: string;
      policy: { network_policies: Record<string, unknown> };
    };
    const list = await revisions();
    expect(onVolume.version).toBe(2);
    expect(onVolume.hash).toBe(list[1]!.hash);
    expect(Object.keys(onVolume.policy.network_policies)).toEqual(['pypi']);
    // Exit 0 once the supervisor reports the revision loaded (124 would mean it never answered).
    expect(r.code, r.stderr).toBe(0);
    expect(list[1]!.status).toBe('loaded');
  });

  it('does not make a new revision for identical content, and says so', async () => {
    const r = await cli(['policy', 'set', name, join(dir, 'good.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/identical to revision 2 .*no new revision/);
    expect((await revisions()).length).toBe(2);
  });

  it('rolls back to revision 1 as a new revision 3 with the same content', async () => {
    const r = await cli(['policy', 'rollback', name, '1', '--wait', '--timeout', '20']);
    expect(r.code, r.stderr).toBe(0);
    const list = await revisions();
    expect(list.map((x) => x.version)).toEqual([1, 2, 3]);
    expect(list[2]!.hash).toBe(list[0]!.hash);
    expect(list[2]!.source).toBe('rollback to 1');
  });

  it('refuses a change of a static section on the live sandbox', async () => {
    const changed = VALID.replace('include_workdir: true', 'include_workdir: false');
    const r = await cli(['policy', 'set', name, await file('static.yaml', changed)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/`filesystem_policy` cannot change on a running sandbox/);
    expect((await revisions()).length).toBe(3);
  });

  it('updates with flags: prints the diff, --dry-run stores nothing, one command makes one revision', async () => {
    const dry = await cli(['policy', 'update', name, '--add-endpoint', 'api.github.com:443:read-only', '--binary', '/usr/bin/curl', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout.toString()).toContain('+ rule `allow_api_github_com_443`: added: api.github.com:443 for /usr/bin/curl');
    expect((await revisions()).length).toBe(3);
    const r = await cli([
      'policy', 'update', name,
      '--add-endpoint', 'api.github.com:443:read-only', '--binary', '/usr/bin/curl',
      '--add-deny', 'api.github.com:443:DELETE:/repos/**',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/revision 4 stored/);
    const got = await cli(['policy', 'get', name, '--rev', '4', '-o', 'yaml']);
    expect(got.stdout.toString()).toMatch(/deny_rules:\n\s+- method: DELETE\n\s+path: \/repos\/\*\*/);
  });

  it('emits policy.revision and policy.status events for a change made through the Gateway', async () => {
    const seen: string[] = [];
    const offRev = gw.events.on('policy.revision', (e) => void seen.push(`revision ${e.revision.version}`));
    const offStatus = gw.events.on('policy.status', (e) => void seen.push(`${e.status} ${e.version}`));
    const r = await gw.rollbackPolicy(name, 2, { author: 'test', source: 'test', wait: true, timeoutMs: 20_000 });
    offRev();
    offStatus();
    expect(r).toMatchObject({ ok: true, changed: true, revision: { version: 5, status: 'loaded' } });
    expect(seen).toEqual(['revision 5', 'loaded 5']);
  });

  it('lists revisions as a table', async () => {
    const r = await cli(['policy', 'list', name]);
    const lines = r.stdout.toString().trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION +HASH +STATUS +SOURCE +CREATED$/);
    expect(lines).toHaveLength(6);
    expect(lines[3]).toMatch(/^3 +[0-9a-f]{12} +\w+ +rollback to 1 +20\d\d-/);
  });

  it('keeps both revisions when two clients change the policy at the same moment', async () => {
    // Two gateway objects stand for two clients: neither change may overwrite the other.
    const a = gateway();
    const b = gateway();
    const before = (await revisions()).length;
    const [ra, rb] = await Promise.all([
      a.setPolicy(name, VALID.replace('pypi.org', 'a.example.org'), { author: 'a', source: 'client a' }),
      b.setPolicy(name, VALID.replace('pypi.org', 'b.example.org'), { author: 'b', source: 'client b' }),
    ]);
    expect(ra.ok && rb.ok).toBe(true);
    const versions = [ra, rb].map((r) => (r.ok ? r.revision.version : 0)).sort();
    expect(versions).toEqual([before + 1, before + 2]);
    const after = await revisions();
    expect(after.map((r) => r.source).slice(-2).sort()).toEqual(['client a', 'client b']);
  });
});

describe('sandbox create --policy', () => {
  it('refuses an invalid policy with line numbers and creates nothing', async () => {
    const other = uniqueName('badpol');
    const r = await cli(['sandbox', 'create', '--name', other, '--policy', join(dir, 'bad.yaml'), '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:11:\d+: error/);
    expect(r.stderr).toMatch(/nothing was created/);
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ name: [`openshell-${other}-`] }) });
    expect(left).toEqual([]);
  });

  it('names an unknown preset', async () => {
    const r = await cli(['sandbox', 'create', '--name', uniqueName('nopreset'), '--policy', 'no-such-preset', '-d']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no policy file or preset `no-such-preset`/);
  });
});
