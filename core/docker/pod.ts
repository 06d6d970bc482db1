import type Docker from 'dockerode';
import { SandboxError } from '../errors.ts';
import { dockerStatus, tolerate } from './client.ts';
import { baseLabels, containerName, EGRESS_NETWORK, LABEL, userLabels, volumeName } from './labels.ts';
import { waitSupervisorReady, watchSupervisorBoot } from './ready.ts';
import { supervisorEntrypoint } from '../supervisor/boot.ts';
import { resolveUser } from './user.ts';
import { seccompSecurityOpt } from './seccomp.ts';
import { tmpfsMounts, type FilesystemPlan } from './static-policy.ts';
import { seedStateBoot, writeStateFiles, type StateFile } from './policy-volume.ts';

export const PROXY_URL = 'http://127.0.0.1:3128';

/** What a sandbox was created with; stored as a label so any client reads the same truth. */
export interface PodSpec {
  readonly name: string;
  readonly id: string;
  readonly image: string;
  readonly supervisorImage: string;
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly cpu?: number;
  readonly memory?: number;
  readonly workdir: string;
  readonly user: string;
  /** The agent's main process; empty means a login shell that `sandbox connect` attaches to. */
  readonly command: readonly string[];
  readonly createdAt: string;
  /** From the policy's static sections; absent on pods made before policies (writable root, as then). */
  readonly filesystem?: FilesystemPlan;
}

/** The default main process: a login shell held in the container's PTY, started again if the user exits it. */
export const SHELL_LOOP = [
  '/bin/sh',
  '-c',
  'while :; do if command -v bash >/dev/null 2>&1; then bash -l; else sh -l; fi; ' +
    'echo "[openshell] the shell exited; a new one is started. Detach with Ctrl-P Ctrl-Q."; done',
];

function agentEnv(spec: PodSpec): string[] {
  const proxy = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];
  const env: Record<string, string> = { ...spec.env, HOME: spec.workdir };
  // Owned by openshell: user values never override the route to the proxy.
  for (const k of proxy) env[k] = PROXY_URL;
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost,::1';
  env.OPENSHELL_SANDBOX = spec.name;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** The initial policy and revision files; `policy.json` must be on the volume before the supervisor reads it. */
export interface PodState {
  readonly files: readonly StateFile[];
}

async function createSupervisor(docker: Docker, spec: PodSpec, seed: { Entrypoint: string[]; Env: string[] } | null): Promise<Docker.Container> {
  const boot = seed ?? supervisorEntrypoint();
  return docker.createContainer({
    name: containerName(spec.name, 'supervisor'),
    Image: spec.supervisorImage,
    Entrypoint: boot.Entrypoint,
    Env: [...boot.Env, `OPENSHELL_SANDBOX_NAME=${spec.name}`],
    Labels: {
      ...baseLabels(spec.name, spec.id, 'supervisor'),
      ...userLabels(spec.labels),
      [LABEL.spec]: JSON.stringify({ ...spec, env: Object.keys(spec.env) }),
    },
    HostConfig: {
      NetworkMode: EGRESS_NETWORK,
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN', 'SYS_PTRACE', 'DAC_READ_SEARCH'],
      SecurityOpt: ['no-new-privileges'],
      // tini as pid 1 of the shared pid namespace reaps the agent's orphans.
      Init: true,
      PidsLimit: 256,
      Memory: 512 * 1024 ** 2,
      RestartPolicy: { Name: 'no' },
      Mounts: [{ Type: 'volume', Source: volumeName(spec.name, 'state'), Target: '/var/lib/openshell' }],
    },
  });
}

async function createAgent(docker: Docker, spec: PodSpec, supervisorId: string): Promise<Docker.Container> {
  const fs = spec.filesystem;
  return docker.createContainer({
    name: containerName(spec.name, 'agent'),
    Image: spec.image,
    User: spec.user,
    // A given command keeps the image's entrypoint (as `docker run` does); no command means the shell loop.
    ...(spec.command.length > 0 ? { Cmd: [...spec.command] } : { Entrypoint: SHELL_LOOP, Cmd: [] }),
    Tty: true,
    OpenStdin: true,
    WorkingDir: spec.workdir,
    Env: agentEnv(spec),
    Labels: { ...baseLabels(spec.name, spec.id, 'agent'), ...userLabels(spec.labels) },
    HostConfig: {
      NetworkMode: `container:${supervisorId}`,
      PidMode: `container:${supervisorId}`,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges', ...(fs ? [seccompSecurityOpt()] : [])],
      ...(fs ? { ReadonlyRootfs: true, Tmpfs: tmpfsMounts(fs) } : {}),
      PidsLimit: 1024,
      ...(spec.memory === undefined ? {} : { Memory: spec.memory, MemorySwap: spec.memory }),
      ...(spec.cpu === undefined ? {} : { NanoCpus: Math.round(spec.cpu * 1e9) }),
      RestartPolicy: { Name: 'no' },
      Mounts: [
        { Type: 'volume', Source: volumeName(spec.name, 'workspace'), Target: spec.workdir, ReadOnly: fs?.workspace === 'ro' },
      ],
    },
  });
}

/** Creates and starts the pod; on any failure removes what it made, so nothing half-made is left. */
export async function createPod(
  docker: Docker,
  spec: PodSpec,
  progress: (m: string) => void,
  opts: { startAgent?: boolean; state?: PodState } = {},
): Promise<void> {
  const files = opts.state?.files ?? [];
  // The usual path: the boot script writes the files itself, so no engine round trip is added before start.
  const seed = files.length > 0 ? seedStateBoot(supervisorEntrypoint(), files) : null;
  const beforeStart = seed ? [] : files;
  await Promise.all(
    (['workspace', 'state'] as const).map((role) =>
      docker.createVolume({ Name: volumeName(spec.name, role), Labels: baseLabels(spec.name, spec.id, role) }),
    ),
  );
  let supervisor: Docker.Container;
  try {
    supervisor = await createSupervisor(docker, spec, seed);
  } catch (err) {
    if (dockerStatus(err) === 409) throw new SandboxError(`sandbox \`${spec.name}\` already exists`, { exitCode: 2 });
    await removePod(docker, spec.name);
    throw err;
  }
  try {
    progress('starting supervisor');
    const startedAt = Date.now();
    // The agent container is made and its user checked while the supervisor starts. Either way the policy
    // is on the state volume before the supervisor reads it, so enforcement starts with the first packet.
    const [agent] = await Promise.all([
      createAgent(docker, spec, supervisor.id).then(async (c) => {
        await resolveUser(c, spec.user, spec.image);
        return c;
      }),
      (beforeStart.length > 0 ? writeStateFiles(supervisor, beforeStart) : Promise.resolve()).then(() => supervisor.start()),
    ]);
    const boot = await watchSupervisorBoot(docker, supervisor, startedAt);
    await boot.fenced;
    // A caller that attaches first starts the agent itself, so not a byte of its output is missed.
    if (opts.startAgent !== false) {
      progress('starting agent');
      await Promise.all([agent.start(), boot.ready]);
    } else {
      await boot.ready;
    }
  } catch (err) {
    await removePod(docker, spec.name);
    throw err;
  }
}

/** Starts a stopped (or broken) pod: supervisor first, then the agent that joins its namespaces. */
export async function startPod(docker: Docker, name: string): Promise<void> {
  const supervisor = docker.getContainer(containerName(name, 'supervisor'));
  const agent = docker.getContainer(containerName(name, 'agent'));
  await tolerate([304], () => agent.stop({ t: 0 }));
  await tolerate([304], () => supervisor.stop({ t: 2 }));
  const startedAt = Date.now();
  await supervisor.start();
  await waitSupervisorReady(docker, supervisor, startedAt);
  await agent.start();
}

export async function stopPod(docker: Docker, name: string): Promise<void> {
  await tolerate([304, 404], () => docker.getContainer(containerName(name, 'agent')).stop({ t: 2 }));
  await tolerate([304, 404], () => docker.getContainer(containerName(name, 'supervisor')).stop({ t: 5 }));
}

/** Removes every object of a sandbox; missing ones count as removed. */
export async function removePod(docker: Docker, name: string): Promise<void> {
  for (const role of ['agent', 'supervisor'] as const) {
    await tolerate([404], () => docker.getContainer(containerName(name, role)).remove({ force: true, v: true }));
  }
  for (const role of ['workspace', 'state'] as const) {
    await tolerate([404], () => docker.getVolume(volumeName(name, role)).remove());
  }
}
