import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../../core/docker/client.ts';
import { execCapture, gateway, uniqueName } from './helpers.ts';

const gw = gateway();
const docker = dockerClient();
const name = uniqueName('static');
const custom = uniqueName('runas');

const sh = async (sandbox: string, script: string): Promise<{ code: number; out: string }> => {
  const r = await execCapture(gw, sandbox, ['sh', '-c', script]);
  return { code: r.code, out: (r.stdout.toString() + r.stderr).trim() };
};

const policyWith = (extra: string): { text: string; source: string } => ({
  text: `version: 1\nfilesystem_policy:\n  include_workdir: false\n  read_write: [/tmp]\n${extra}network_policies: {}\n`,
  source: 'test.yaml',
});

beforeAll(async () => {
  await Promise.all([
    gw.createSandbox({ name }),
    gw.createSandbox({ name: custom, policy: policyWith('process:\n  run_as_user: "1234"\n  run_as_group: "1234"\n') }),
  ]);
});

afterAll(async () => {
  await gw.deleteSandbox(name).catch(() => undefined);
  await gw.deleteSandbox(custom).catch(() => undefined);
});

describe('the default policy at creation', () => {
  it('gives the agent a read-only root file system with a writable workspace and /tmp', async () => {
    const r = await sh(name, 'touch /usr/x; echo "usr=$?"; touch /sandbox/x && echo ws-ok; touch /tmp/x && echo tmp-ok; touch /etc/x; echo "etc=$?"');
    expect(r.out).toMatch(/Read-only file system/);
    expect(r.out).toMatch(/usr=1/);
    expect(r.out).toMatch(/ws-ok/);
    expect(r.out).toMatch(/tmp-ok/);
    expect(r.out).toMatch(/etc=1/);
  });

  it('refuses new namespaces with EPERM (unshare -r)', async () => {
    const r = await sh(name, 'unshare -r true');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/Operation not permitted/);
  });

  it('refuses packet and raw sockets with EPERM', async () => {
    const py = (family: string, type: string): Promise<{ code: number; out: string }> =>
      sh(name, `python3 -c 'import socket\ntry:\n  socket.socket(socket.${family}, socket.${type})\n  print("opened")\nexcept OSError as e:\n  print("errno", e.errno)'`);
    expect((await py('AF_PACKET', 'SOCK_RAW')).out).toBe('errno 1');
    expect((await py('AF_INET', 'SOCK_RAW')).out).toBe('errno 1');
  });

  it('still runs bash, curl, git, python3 and node', async () => {
    const r = await sh(
      name,
      'bash -c "echo bash-ok" && curl --version >/dev/null && echo curl-ok && git --version >/dev/null && echo git-ok && ' +
        'git init -q /tmp/repo && echo git-init-ok && python3 -c "print(\'py-ok\')" && node -e "console.log(\'node-ok\')"',
    );
    expect(r.out.split('\n')).toEqual(['bash-ok', 'curl-ok', 'git-ok', 'git-init-ok', 'py-ok', 'node-ok']);
  });
});

describe('a policy with process and filesystem settings', () => {
  it('runs the agent as process.run_as_user / run_as_group', async () => {
    expect((await sh(custom, 'id -u; id -g')).out).toBe('1234\n1234');
  });

  it('keeps the workspace read-only without include_workdir', async () => {
    const r = await sh(custom, 'touch /sandbox/x; echo "ws=$?"; touch /tmp/x && echo tmp-ok');
    expect(r.out).toMatch(/ws=1/);
    expect(r.out).toMatch(/tmp-ok/);
  });

  it.each([['root'], ['0'], ['00']])('refuses run_as_user %s before creating anything', async (user) => {
    const other = uniqueName('root');
    await expect(gw.createSandbox({ name: other, policy: policyWith(`process:\n  run_as_user: "${user}"\n`) })).rejects.toThrow(
      /root|not allowed/,
    );
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ name: [`openshell-${other}-`] }) });
    expect(left).toEqual([]);
  });
});
