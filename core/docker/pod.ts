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
import { AGENT_TLS_DIR, agentRoots, sharesSupervisorRoots, tlsBoot, tlsEnv, writeAgentTls, writeCaState } from './tls-files.ts';
import { createCa } from '../tls/ca.ts';

/**
 * Both containers' output is kept by Docker, bounded: the supervisor's is the event stream the gateway
 * follows and resumes from (about 0.5 KB per connection), the agent's is its terminal. Unbounded (the
 * json-file default), a busy agent fills the disk; 4 files of 50 MB keep some 400,000 connections back.
 */
export const POD_LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '50m', 'max-file': '4' } } as const;

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
  /** Names of the bound providers (their placeholders are in `env`, their secrets only on the state volume). */
  readonly providers?: readonly string[];
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
  // The sandbox CA's bundle is owned by openshell too: interception works for curl, python, git, node.
  const env: Record<string, string> = { ...spec.env, HOME: spec.workdir, ...tlsEnv() };
  // Owned by openshell: user values never override the route to the proxy.
  for (const k of proxy) env[k] = PROXY_URL;
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost,::1';
  env.OPENSHELL_SANDBOX = spec.name;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** The initial policy and revision files; `policy.json` must be on the volume before the supervisor reads it. */
export interface PodState {
  readonly files: readonly StateFile[];
  /** Secrets (`providers.json`): always written with the archive API, never seeded from the environment, which `docker inspect` shows. */
  readonly secretFiles?: readonly StateFile[];
  /** PEM CAs the operator trusts for upstream TLS (`gateway start --upstream-ca`), for intercepted connections. */
  readonly upstreamCa?: string;
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
      LogConfig: POD_LOG_CONFIG,
      RestartPolicy: { Name: 'no' },
      Mounts: [
        { Type: 'volume', Source: volumeName(spec.name, 'state'), Target: '/var/lib/openshell' },
        { Type: 'volume', Source: volumeName(spec.name, 'tls'), Target: AGENT_TLS_DIR },
      ],
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
      LogConfig: POD_LOG_CONFIG,
      ...(spec.memory === undefined ? {} : { Memory: spec.memory, MemorySwap: spec.memory }),
      ...(spec.cpu === undefined ? {} : { NanoCpus: Math.round(spec.cpu * 1e9) }),
      RestartPolicy: { Name: 'no' },
      Mounts: [
        { Type: 'volume', Source: volumeName(spec.name, 'workspace'), Target: spec.workdir, ReadOnly: fs?.workspace === 'ro' },
        // The CA certificate and bundle only; the CA key stays on the state volume, never mounted here.
        { Type: 'volume', Source: volumeName(spec.name, 'tls'), Target: AGENT_TLS_DIR, ReadOnly: true },
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
  const beforeStart = [...(seed ? [] : files), ...(opts.state?.secretFiles ?? [])];
  await Promise.all(
    (['workspace', 'state', 'tls'] as const).map((role) =>
      docker.createVolume({ Name: volumeName(spec.name, role), Labels: baseLabels(spec.name, spec.id, role) }),
    ),
  );
  // A per-sandbox CA for TLS interception (EC P-256: about a millisecond). The agent's CA files are
  // written by the boot script (our image) or from the image's own roots while the agent is created.
  const ca = createCa(spec.name);
  const ownRoots = sharesSupervisorRoots(spec.image);
  const boot = tlsBoot(seed ?? supervisorEntrypoint(), ca.certPem, ownRoots) ?? seed;
  let supervisor: Docker.Container;
  try {
    supervisor = await createSupervisor(docker, spec, boot);
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
        // Another image's roots are read while its user is checked; the bundle is in place before the agent starts.
        await Promise.all([resolveUser(c, spec.user, spec.image), ownRoots ? null : agentRoots(c).then((roots) => writeAgentTls(supervisor, ca, roots))]);
        return c;
      }),
      (beforeStart.length > 0 ? writeStateFiles(supervisor, beforeStart) : Promise.resolve()).then(() => supervisor.start()),
    ]);
    const booted = await watchSupervisorBoot(docker, supervisor, startedAt);
    await booted.fenced;
    // A caller that attaches first starts the agent itself, so not a byte of its output is missed.
    // The CA key reaches the state volume while the supervisor finishes starting (off the start-up path;
    // the supervisor waits for it when it first intercepts a connection).
    const caState = (): Promise<void> => writeCaState(supervisor, ca, opts.state?.upstreamCa);
    if (opts.startAgent !== false) {
      progress('starting agent');
      await agent.start();
      await Promise.all([booted.ready, caState()]);
    } else {
      await Promise.all([booted.ready, caState()]);
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
  for (const role of ['workspace', 'state', 'tls'] as const) {
    await tolerate([404], () => docker.getVolume(volumeName(name, role)).remove());
  }
}
