import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerClient } from '../../core/docker/client.ts';
import { execCapture, gateway, uniqueName } from './helpers.ts';

const gw = gateway();
const docker = dockerClient();
const name = uniqueName('life');

afterAll(async () => {
  await gw.deleteSandbox(name).catch(() => undefined);
});

describe('sandbox lifecycle on a real engine', () => {
  it('creates a ready sandbox with the requested env, labels and limits', async () => {
    const s = await gw.createSandbox({
      name,
      env: { GREETING: 'hello world' },
      labels: { team: 'infra', tier: 'dev' },
      memory: 256 * 1024 ** 2,
      cpu: 0.5,
    });
    expect(s).toMatchObject({ name, phase: 'ready', labels: { team: 'infra', tier: 'dev' }, workdir: '/sandbox' });
    const r = await execCapture(gw, name, ['sh', '-c', 'echo "$GREETING|$HTTPS_PROXY|$HOME|$(pwd)"']);
    expect(r.stdout.toString()).toBe('hello world|http://127.0.0.1:3128|/sandbox|/sandbox\n');
    const agent = await docker.getContainer(`openshell-${name}-agent`).inspect();
    expect(agent.HostConfig.Memory).toBe(256 * 1024 ** 2);
    expect(agent.HostConfig.NanoCpus).toBe(5e8);
    expect(agent.HostConfig.CapDrop).toEqual(['ALL']);
    expect(agent.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(agent.HostConfig.PidsLimit).toBeGreaterThan(0);
    // Output is kept bounded, whatever the engine's default log driver: a busy agent cannot fill the disk.
    const supervisor = await docker.getContainer(`openshell-${name}-supervisor`).inspect();
    for (const c of [agent, supervisor]) expect(c.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '50m', 'max-file': '4' } });
  });

  it('lists by label selector', async () => {
    expect((await gw.listSandboxes({ team: 'infra' })).map((s) => s.name)).toContain(name);
    expect((await gw.listSandboxes({ team: 'nobody' })).map((s) => s.name)).not.toContain(name);
  });

  it('exec returns the exit code, 128+n on a signal, and binary stdout byte-exact', async () => {
    expect((await execCapture(gw, name, ['sh', '-c', 'exit 42'])).code).toBe(42);
    expect((await execCapture(gw, name, ['sh', '-c', 'kill -TERM $$'])).code).toBe(128 + 15);
    const payload = randomBytes(300_000);
    const r = await execCapture(gw, name, ['cat'], payload);
    expect(r.code).toBe(0);
    expect(r.stdout.equals(payload)).toBe(true);
    const e = await execCapture(gw, name, ['sh', '-c', 'echo out; echo err >&2']);
    expect([e.stdout.toString(), e.stderr]).toEqual(['out\n', 'err\n']);
  });

  it('uploads and downloads files owned by the agent user', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openshell-up-'));
    await mkdir(join(dir, 'proj'));
    await writeFile(join(dir, 'proj', 'a.txt'), 'payload\n');
    await gw.upload(name, join(dir, 'proj'));
    const r = await execCapture(gw, name, ['sh', '-c', 'stat -c %u /sandbox/proj/a.txt && cat /sandbox/proj/a.txt']);
    expect(r.stdout.toString()).toBe('1000\npayload\n');
    await execCapture(gw, name, ['sh', '-c', 'echo back > /sandbox/proj/b.txt']);
    const out = await mkdtemp(join(tmpdir(), 'openshell-down-'));
    await gw.download(name, '/sandbox/proj', out);
    expect(await readFile(join(out, 'proj', 'b.txt'), 'utf8')).toBe('back\n');
  });

  it('stops and starts, keeping the workspace', async () => {
    await execCapture(gw, name, ['sh', '-c', 'echo kept > /sandbox/kept.txt']);
    expect((await gw.stopSandbox(name)).phase).toBe('stopped');
    await expect(execCapture(gw, name, ['true'])).rejects.toThrow(/is stopped/);
    expect((await gw.startSandbox(name)).phase).toBe('ready');
    expect((await execCapture(gw, name, ['cat', '/sandbox/kept.txt'])).stdout.toString()).toBe('kept\n');
  });

  it('shows error with the reason when the supervisor dies, and start brings the pod back', async () => {
    await docker.getContainer(`openshell-${name}-supervisor`).kill();
    const broken = await gw.getSandbox(name);
    expect(broken.phase).toBe('error');
    expect(broken.reason).toMatch(/supervisor was killed by signal 9/);
    // The agent dies with the pid namespace it shared: no process is left to reach anything.
    const agent = await docker.getContainer(`openshell-${name}-agent`).inspect();
    expect(agent.State.Running).toBe(false);
    expect((await gw.startSandbox(name)).phase).toBe('ready');
    expect((await execCapture(gw, name, ['cat', '/sandbox/kept.txt'])).stdout.toString()).toBe('kept\n');
  });

  it('deletes the pod and its volumes', async () => {
    await gw.deleteSandbox(name);
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ name: [name] }) });
    const vols = (await docker.listVolumes()).Volumes?.filter((v) => v.Name.includes(name)) ?? [];
    expect([left.length, vols.length]).toEqual([0, 0]);
    await expect(gw.getSandbox(name)).rejects.toThrow(/not found/);
  });
});
