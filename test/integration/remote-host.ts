// A real second Docker host for tests: a network namespace reached over a veth pair, running its own
// sshd and its own dockerd (separate data root, exec root, bridge), starting with no images.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export const NETNS = 'openshell-remote';
export const HOST_IP = '10.231.0.1';
export const REMOTE_IP = '10.231.0.2';
const VETH_HOST = 'osr-host';
const VETH_PEER = 'osr-peer';
/** Everything the remote owns lives under these two paths, so teardown and leftovers are easy to find. */
export const RUN_DIR = '/run/openshell-remote';
const DATA_DIR = '/var/lib/openshell-remote';
/** The remote engine's own socket; sshd's private mount namespace also shows it at /var/run/docker.sock. */
export const REMOTE_SOCKET = `${RUN_DIR}/docker.sock`;

export interface RemoteHost {
  readonly ip: string;
  readonly user: string;
  /** Private key authorised for root on the remote (never printed). */
  readonly identity: string;
  /** The remote's host public key line (`ssh-ed25519 AAAA…`), for tests that pre-seed known_hosts. */
  readonly hostKey: string;
  readonly dir: string;
}

const sh = (cmd: string, args: readonly string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const quiet = (cmd: string, args: readonly string[]): void => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // Teardown of something that is not there is fine.
  }
};

function pidFrom(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return pid > 0 ? pid : undefined;
}

/** TERM, then KILL whatever is still there after `ms`. */
async function terminate(pids: readonly number[], ms: number): Promise<void> {
  for (const pid of pids) quiet('kill', ['-TERM', String(pid)]);
  const deadline = Date.now() + ms;
  for (const pid of pids) {
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    quiet('kill', ['-KILL', String(pid)]);
  }
}

/** Removes the namespace, its processes, the veth pair and the remote's data; tolerates partial leftovers. */
export async function stopRemoteHost(): Promise<void> {
  // dockerd first and alone, so it stops its containers and unmounts their layers while containerd lives.
  const dockerd = pidFrom(join(RUN_DIR, 'docker.pid'));
  if (dockerd !== undefined) await terminate([dockerd], 20_000);
  const nsPids = existsSync(`/run/netns/${NETNS}`)
    ? sh('ip', ['netns', 'pids', NETNS]).split('\n').filter(Boolean).map(Number)
    : [];
  await terminate(nsPids, 10_000);
  quiet('ip', ['netns', 'del', NETNS]);
  quiet('ip', ['link', 'del', VETH_HOST]);
  // The (now empty) cgroups of the remote's containers, under its --cgroup-parent.
  quiet('sh', ['-c', 'find /sys/fs/cgroup -maxdepth 2 -type d -name openshell-remote -exec find {} -depth -type d -delete \\; 2>/dev/null']);
  rmSync(RUN_DIR, { recursive: true, force: true });
  rmSync(DATA_DIR, { recursive: true, force: true });
}

function sshdConfig(dir: string): string {
  return [
    'Port 22',
    `ListenAddress ${REMOTE_IP}`,
    `HostKey ${dir}/host_ed25519`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'AllowStreamLocalForwarding yes',
    'AllowTcpForwarding yes',
    'MaxSessions 100',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

// Runs in the network namespace and a private mount namespace: a sysfs of this netns with the host's
// cgroups kept (dockerd needs both), no system containerd (dockerd starts its own), dockerd on its own
// socket, and that socket shown at the default path to sshd, as on any real host.
const BOOT = `
set -e
mkdir -p ${RUN_DIR}/cgroup /run/containerd
mount --rbind /sys/fs/cgroup ${RUN_DIR}/cgroup
mount -t sysfs sysfs /sys
mount --rbind ${RUN_DIR}/cgroup /sys/fs/cgroup
mount -t tmpfs tmpfs /run/containerd
dockerd --data-root ${DATA_DIR}/docker --exec-root ${RUN_DIR}/exec --pidfile ${RUN_DIR}/docker.pid \\
  -H unix://${REMOTE_SOCKET} --bip 10.232.0.1/24 --default-address-pool base=10.233.0.0/16,size=24 \\
  --cgroup-parent openshell-remote >${RUN_DIR}/dockerd.log 2>&1 &
i=0; while [ ! -S ${REMOTE_SOCKET} ]; do i=$((i+1)); [ $i -lt 300 ] || exit 3; sleep 0.1; done
touch /run/docker.sock 2>/dev/null || true
mount --bind ${REMOTE_SOCKET} /run/docker.sock
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -f ${RUN_DIR}/sshd_config -E ${RUN_DIR}/sshd.log
`;

function waitPort(host: string, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing answers on ${host}:${port}; see ${RUN_DIR}/*.log`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Creates the remote host from nothing (after clearing leftovers of an earlier run). */
export async function startRemoteHost(): Promise<RemoteHost> {
  await stopRemoteHost();
  mkdirSync(RUN_DIR, { recursive: true, mode: 0o700 });
  mkdirSync(DATA_DIR, { recursive: true });
  sh('ip', ['netns', 'add', NETNS]);
  sh('ip', ['link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_PEER]);
  sh('ip', ['link', 'set', VETH_PEER, 'netns', NETNS]);
  sh('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', VETH_HOST]);
  sh('ip', ['link', 'set', VETH_HOST, 'up']);
  const inNs = (...args: string[]): string => sh('ip', ['netns', 'exec', NETNS, ...args]);
  inNs('ip', 'addr', 'add', `${REMOTE_IP}/30`, 'dev', VETH_PEER);
  inNs('ip', 'link', 'set', VETH_PEER, 'up');
  inNs('ip', 'link', 'set', 'lo', 'up');
  const identity = join(RUN_DIR, 'client_ed25519');
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'openshell-test', '-f', identity]);
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'openshell-remote', '-f', join(RUN_DIR, 'host_ed25519')]);
  writeFileSync(join(RUN_DIR, 'authorized_keys'), readFileSync(`${identity}.pub`));
  writeFileSync(join(RUN_DIR, 'sshd_config'), sshdConfig(RUN_DIR));
  const child = spawn('nsenter', [`--net=/run/netns/${NETNS}`, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', BOOT], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  await waitPort(REMOTE_IP, 22, 30_000);
  const hostKey = readFileSync(join(RUN_DIR, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return { ip: REMOTE_IP, user: 'root', identity, hostKey, dir: RUN_DIR };
}

/**
 * An ssh config (and an empty known_hosts) in `dir`, so tests never touch the user's ~/.ssh:
 * `Host remote-test` is an alias for the remote host with its test key.
 */
export function writeSshConfig(host: RemoteHost, dir: string): { configFile: string; knownHosts: string } {
  mkdirSync(dir, { recursive: true });
  const knownHosts = join(dir, 'known_hosts');
  const configFile = join(dir, 'ssh_config');
  writeFileSync(knownHosts, '');
  writeFileSync(
    configFile,
    [
      'Host remote-test',
      `  HostName ${host.ip}`,
      `  User ${host.user}`,
      `  IdentityFile ${host.identity}`,
      'Host *',
      `  UserKnownHostsFile ${knownHosts}`,
      '  StrictHostKeyChecking yes',
      '',
    ].join('\n'),
  );
  return { configFile, knownHosts };
}
