import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, LOCAL_ENDPOINT } from '../../core/docker/client.ts';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import type { Sandbox } from '../../core/gateway/types.ts';
import { cli, gateway, uniqueName } from './helpers.ts';

const name = uniqueName('rev');
const gw = gateway();

const listed = async (): Promise<Sandbox | undefined> => {
  const r = await cli(['sandbox', 'list', '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout.toString()) as Sandbox[]).find((s) => s.name === name);
};

beforeAll(async () => {
  const r = await cli(['sandbox', 'create', '--name', name, '--policy', 'npm', '-d']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(async () => {
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('the policy revision in sandbox list', () => {
  it('is 1 after create with a preset, 2 after `policy set`, in JSON and in the REV column', async () => {
    expect((await listed())?.policyRevision).toBe(1);
    const set = await cli(['policy', 'set', name, 'pypi', '--wait']);
    expect(set.code, set.stderr).toBe(0);
    expect((await listed())?.policyRevision).toBe(2);
    const table = (await cli(['sandbox', 'list'])).stdout.toString();
    expect(table).toMatch(/NAME +PHASE +IMAGE +AGE +REV/);
    expect(table).toMatch(new RegExp(`${name} +ready +\\S+ +\\d+s +2\\b`));
    const one = await cli(['sandbox', 'get', name, '-o', 'json']);
    expect((JSON.parse(one.stdout.toString()) as Sandbox).policyRevision).toBe(2);
  });
});

describe('the revision in the TUI poll', () => {
  it('costs no file read while nothing changed, and shows a new revision on the next poll', async () => {
    // A real engine client that counts the archive reads `listSandboxes` makes.
    const docker = dockerClient();
    let reads = 0;
    const getContainer = docker.getContainer.bind(docker);
    docker.getContainer = (id: string) => {
      const c = getContainer(id);
      const getArchive = c.getArchive.bind(c);
      c.getArchive = (opts: { path: string }) => (reads++, getArchive(opts));
      return c;
    };
    const polled = new EmbeddedGateway('local', LOCAL_ENDPOINT, docker);
    const mine = async () => (await polled.listSandboxes()).find((s) => s.name === name)?.policyRevision;
    const before = await mine();
    const afterFirst = reads;
    expect(await mine()).toBe(before);
    expect(reads).toBe(afterFirst);
    expect((await cli(['policy', 'set', name, 'default', '--wait'])).code).toBe(0);
    expect(await mine()).toBe((before ?? 0) + 1);
    expect(reads).toBe(afterFirst + 1);
  });
});
