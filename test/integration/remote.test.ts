// `gateway start --remote` against a real second host (netns + sshd + its own dockerd), through the CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { dockerClient } from '../../core/docker/client.ts';
import { RemoteError } from '../../core/errors.ts';
import { SshConnection } from '../../core/ssh/connection.ts';
import { sshDockerClient } from '../../core/ssh/docker.ts';
import { RemoteGateway } from '../../core/ssh/gateway.ts';
import { BIN, ROOT, cli, uniqueName } from './helpers.ts';
import { NETNS, RUN_DIR, startRemoteHost, stopRemoteHost, writeSshConfig, type RemoteHost } from './remote-host.ts';

/** The part of `docker info` these tests read (dockerode types it as any). */
interface Info {
  readonly DockerRootDir: string;
}

let host: RemoteHost;
let dir: string;
let ssh: { configFile: string; knownHosts: string };
let env: NodeJS.ProcessEnv;
const sandbox = uniqueName('remote');
const PTY_DRIVE = join(ROOT, 'test/fixtures/pty-drive.py');
const run = (args: string[]) => cli(args, { env });
const log = (m: string): void => void process.stderr.write(`[remote] ${m}\n`);

/** Ends the sshd sessions (not the listener): the network drop a laptop sees when Wi-Fi goes away. */
function dropSshSessions(): void {
  const master = Number(readFileSync(join(RUN_DIR, 'sshd.pid'), 'utf8').trim());
  const pids = execFileSync('ip', ['netns', 'pids', NETNS], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  for (const pid of pids) {
    const comm = readdirSync('/proc').includes(String(pid)) ? readFileSync(`/proc/${pid}/comm`, 'utf8').trim() : '';
    if (comm === 'sshd' && pid !== master) process.kill(pid, 'SIGTERM');
  }
}

beforeAll(async () => {
  host = await startRemoteHost();
  dir = await mkdtemp(join(tmpdir(), 'openshell-remote-'));
  ssh = writeSshConfig(host, dir);
  env = { OPENSHELL_CONFIG_DIR: join(dir, 'conf'), OPENSHELL_SSH_CONFIG: ssh.configFile, OPENSHELL_GATEWAY: '' };
});

afterAll(async () => {
  await run(['sandbox', 'delete', '-g', 'remote', sandbox]).catch(() => undefined);
  await stopRemoteHost();
});

describe('remote gateway over SSH (real sshd, second dockerd)', () => {
  it('refuses an unknown host key without --accept-host-key, showing its SHA256 fingerprint', async () => {
    const r = await run(['gateway', 'start', '--remote', 'remote-test', '--name', 'remote']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/host key of 10\.231\.0\.2 is not known \(ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}\)/);
    expect(r.stderr).toContain('--accept-host-key');
    const list = JSON.parse((await run(['gateway', 'list', '-o', 'json'])).stdout.toString()) as { name: string }[];
    expect(list.map((g) => g.name)).toEqual(['local']);
  });

  it('provisions a host that has only Docker and sshd: network and images over the one connection', async () => {
    const remote = sshDockerClient(new SshConnection({ target: 'remote-test', configFile: ssh.configFile, acceptHostKey: () => Promise.resolve(true) }));
    expect(await remote.listImages()).toEqual([]);
    const started = Date.now();
    const r = await run(['gateway', 'start', '--remote', `root@${host.ip}`, '--identity', host.identity, '--name', 'remote', '--accept-host-key', '-o', 'json']);
    log(`gateway start --remote (from nothing): ${Date.now() - started} ms; ${r.stderr.split('\n').filter((l) => /^sent /.test(l)).join('')}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sending images: \d+ MB/);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ name: 'remote', state: 'running', location: 'ssh://root@10.231.0.2/var/run/docker.sock' });
    expect(await readFile(ssh.knownHosts, 'utf8')).toBe(`10.231.0.2 ${host.hostKey}\n`);
    const tags = (await remote.listImages()).flatMap((i) => i.RepoTags ?? []);
    expect(tags.some((t) => t.startsWith('openshell/sandbox:'))).toBe(true);
    expect(tags.some((t) => t.startsWith('openshell/supervisor:'))).toBe(true);
    const list = JSON.parse((await run(['gateway', 'list', '-o', 'json'])).stdout.toString()) as { name: string; active: boolean }[];
    expect(list).toEqual([expect.objectContaining({ name: 'local', active: false }), expect.objectContaining({ name: 'remote', active: true })]);
  });

  it('on a terminal, shows an unknown host key and records it once the user says yes', async () => {
    const known = join(dir, 'known_hosts_tty');
    const config = join(dir, 'ssh_config_tty');
    await writeFile(config, (await readFile(ssh.configFile, 'utf8')).replace(ssh.knownHosts, known));
    const steps = [['expect', 'yes/no'], ['send', 'yes\r'], ['expect', 'registered and selected'], ['sleep', 0.5]];
    const r = spawnSync('python3', [PTY_DRIVE, JSON.stringify(steps), BIN, 'gateway', 'start', '--remote', 'remote-test', '--name', 'remote-tty'], {
      env: { ...process.env, ...env, OPENSHELL_SSH_CONFIG: config },
      encoding: 'utf8',
      timeout: 180_000,
    });
    const transcript = r.stdout;
    expect(r.status, transcript).toBe(0);
    expect(transcript).toMatch(/ssh-ed25519 key fingerprint is SHA256:[A-Za-z0-9+/]{43}\.\r?\nTrust it and continue connecting \(yes\/no\)\?/);
    expect(await readFile(known, 'utf8')).toBe(`10.231.0.2 ${host.hostKey}\n`);
    expect((await run(['gateway', 'select', 'remote'])).code).toBe(0);
  });

  it('starting again skips images the remote already has', async () => {
    const started = Date.now();
    const r = await run(['gateway', 'start']);
    log(`gateway start (images present): ${Date.now() - started} ms`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/remote already has openshell\/sandbox:/);
    expect(r.stderr).not.toMatch(/sending images/);
  });

  it('builds a missing layer on the remote from the base it has, sending no image bytes', async () => {
    const remote = sshDockerClient(new SshConnection({ target: 'remote-test', configFile: ssh.configFile }));
    const tags = (await remote.listImages()).flatMap((i) => i.RepoTags ?? []);
    const supervisor = tags.find((t) => /^openshell\/supervisor:[0-9a-f]{12}$/.test(t));
    expect(tags.some((t) => t.startsWith('openshell/base:'))).toBe(true);
    await remote.getImage(supervisor ?? 'missing').remove();
    const started = Date.now();
    const r = await run(['gateway', 'start']);
    log(`gateway start (supervisor layer rebuilt remotely): ${Date.now() - started} ms`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/remote has openshell\/base:[0-9a-f]{12}: building openshell\/supervisor:/);
    expect(r.stderr).not.toMatch(/sending images/);
    expect((await remote.listImages()).flatMap((i) => i.RepoTags ?? [])).toContain(supervisor);
  });

  it('runs a sandbox there: exec and logs work, -g picks the engine, the local engine does not have it', async () => {
    const c = await run(['sandbox', 'create', '-g', 'remote', '--name', sandbox, '-d']);
    expect(c.code, c.stderr).toBe(0);
    const e = await run(['sandbox', 'exec', '-g', 'remote', sandbox, '--', 'sh', '-c', 'cat; exit 5']);
    expect(e.code).toBe(5);
    const piped = await cli(['sandbox', 'exec', sandbox, '--', 'cat'], { env: { ...env, OPENSHELL_GATEWAY: 'remote' }, input: Buffer.from('over ssh\n') });
    expect(piped.stdout.toString()).toBe('over ssh\n');
    const remoteList = JSON.parse((await run(['sandbox', 'list', '-g', 'remote', '-o', 'json'])).stdout.toString()) as { name: string }[];
    expect(remoteList.map((s) => s.name)).toContain(sandbox);
    const localList = JSON.parse((await run(['sandbox', 'list', '-g', 'local', '-o', 'json'])).stdout.toString()) as { name: string }[];
    expect(localList.map((s) => s.name)).not.toContain(sandbox);
    await expect(dockerClient().getContainer(`openshell-${sandbox}-agent`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const logs = await run(['sandbox', 'logs', '-g', 'remote', sandbox]);
    expect(logs.stdout.toString() + logs.stderr).toContain('[supervisor]');
  });

  it('select, info and remove manage the registry; the built-in local entry stays', async () => {
    expect((await run(['gateway', 'select', 'local'])).code).toBe(0);
    const info = JSON.parse((await run(['gateway', 'info', '-g', 'remote', '-o', 'json'])).stdout.toString()) as Record<string, unknown>;
    expect(info).toMatchObject({ name: 'remote', type: 'ssh', source: 'flag', state: 'running', sandboxes: 1 });
    const table = (await run(['gateway', 'list'])).stdout.toString();
    expect(table).toMatch(/^\*\s+local\s+local/m);
    expect((await run(['gateway', 'remove', 'local'])).code).toBe(2);
    expect((await run(['gateway', 'select', 'nope'])).code).toBe(2);
  });

  it('refuses a changed host key with a clear error', async () => {
    const otherKnown = join(dir, 'known_hosts_changed');
    await writeFile(otherKnown, '10.231.0.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\n');
    const config = join(dir, 'ssh_config_changed');
    await writeFile(config, (await readFile(ssh.configFile, 'utf8')).replace(ssh.knownHosts, otherKnown));
    const conn = new SshConnection({ target: 'remote-test', configFile: config, acceptHostKey: () => Promise.resolve(true) });
    const err = await conn.ready().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).message).toMatch(/host key of 10\.231\.0\.2 has CHANGED \(now ssh-ed25519 SHA256:/);
    expect((err as RemoteError).hint).toContain("ssh-keygen -R '10.231.0.2'");
  });

  it('reconnects after the connection drops, with gateway.notice events meanwhile; one connection serves many requests', async () => {
    const conn = new SshConnection({ target: 'remote-test', configFile: ssh.configFile, backoffMs: [200] });
    const gw = new RemoteGateway({ kind: 'ssh', name: 'remote', remote: 'remote-test', socketPath: '/var/run/docker.sock', createdAt: '' }, {}, conn);
    const notices: string[] = [];
    gw.events.on('gateway.notice', (e) => notices.push(e.message));
    const docker = sshDockerClient(conn);
    let t = Date.now();
    await docker.ping();
    log(`connect ${conn.lastConnectMs} ms, first request ${Date.now() - t} ms`);
    t = Date.now();
    for (let i = 0; i < 20; i++) await docker.ping();
    log(`20 more requests on the same connection: ${Date.now() - t} ms`);
    expect(Date.now() - t).toBeLessThan(20 * 150);
    dropSshSessions();
    await expect.poll(() => notices.join('\n'), { timeout: 10_000 }).toMatch(/reconnected to root@remote-test/);
    expect(notices[0]).toMatch(/SSH connection to root@remote-test lost; reconnecting/);
    expect((await gw.listSandboxes()).map((s) => s.name)).toContain(sandbox);
    gw.close();
  });

  it('authenticates with ssh-agent (SSH_AUTH_SOCK) when ssh config names no key', async () => {
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      await expect.poll(() => existsSync(sock)).toBe(true);
      execFileSync('ssh-add', ['-q', host.identity], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const config = join(dir, 'ssh_config_agent');
      await writeFile(config, `Host agent-only\n  HostName ${host.ip}\n  User root\n  UserKnownHostsFile ${ssh.knownHosts}\n`);
      process.env.SSH_AUTH_SOCK = sock;
      const conn = new SshConnection({ target: 'agent-only', configFile: config });
      expect(((await sshDockerClient(conn).info()) as Info).DockerRootDir).toBe('/var/lib/openshell-remote/docker');
      conn.close();
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      agent.kill();
    }
  });

  it('goes through a ProxyJump host named in ssh config', async () => {
    const config = join(dir, 'ssh_config_jump');
    await writeFile(config, `Host via-jump\n  HostName ${host.ip}\n  User root\n  IdentityFile ${host.identity}\n  ProxyJump remote-test\n${await readFile(ssh.configFile, 'utf8')}`);
    const conn = new SshConnection({ target: 'via-jump', configFile: config });
    expect(conn.host.proxyJump).toEqual(['remote-test']);
    expect(((await sshDockerClient(conn).info()) as Info).DockerRootDir).toBe('/var/lib/openshell-remote/docker');
    conn.close();
  });
});
