import type Docker from 'dockerode';
import { SandboxError } from '../errors.ts';
import { dockerStatus, tolerate } from './client.ts';
import { baseLabels, containerName, EGRESS_NETWORK, LABEL, userLabels, volumeName } from './labels.ts';
import { waitSupervisorReady } from './ready.ts';
import { resolveUser } from './user.ts';

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
  readonly createdAt: string;
}

function agentEnv(spec: PodSpec): string[] {
  const proxy = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];
  const env: Record<string, string> = { ...spec.env, HOME: spec.workdir };
  // Owned by openshell: user values never override the route to the proxy.
  for (const k of proxy) env[k] = PROXY_URL;
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost,::1';
  env.OPENSHELL_SANDBOX = spec.name;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

async function createSupervisor(docker: Docker, spec: PodSpec): Promise<Docker.Container> {
  return docker.createContainer({
    name: containerName(spec.name, 'supervisor'),
    Image: spec.supervisorImage,
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
  return docker.createContainer({
    name: containerName(spec.name, 'agent'),
    Image: spec.image,
    User: spec.user,
    Entrypoint: ['sleep'],
    Cmd: ['infinity'],
    WorkingDir: spec.workdir,
    Env: agentEnv(spec),
    Labels: { ...baseLabels(spec.name, spec.id, 'agent'), ...userLabels(spec.labels) },
    HostConfig: {
      NetworkMode: `container:${supervisorId}`,
      PidMode: `container:${supervisorId}`,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: 1024,
      ...(spec.memory === undefined ? {} : { Memory: spec.memory, MemorySwap: spec.memory }),
      ...(spec.cpu === undefined ? {} : { NanoCpus: Math.round(spec.cpu * 1e9) }),
      RestartPolicy: { Name: 'no' },
      Mounts: [{ Type: 'volume', Source: volumeName(spec.name, 'workspace'), Target: spec.workdir }],
    },
  });
}

/** Creates and starts the pod; on any failure removes what it made, so nothing half-made is left. */
export async function createPod(docker: Docker, spec: PodSpec, progress: (m: string) => void): Promise<void> {
  for (const role of ['workspace', 'state'] as const) {
    await docker.createVolume({ Name: volumeName(spec.name, role), Labels: baseLabels(spec.name, spec.id, role) });
  }
  let supervisor: Docker.Container;
  try {
    supervisor = await createSupervisor(docker, spec);
  } catch (err) {
    if (dockerStatus(err) === 409) throw new SandboxError(`sandbox \`${spec.name}\` already exists`, { exitCode: 2 });
    await removePod(docker, spec.name);
    throw err;
  }
  try {
    progress('starting supervisor');
    await supervisor.start();
    const ready = waitSupervisorReady(docker, supervisor);
    const agent = await createAgent(docker, spec, supervisor.id);
    await resolveUser(agent, spec.user, spec.image);
    await ready;
    progress('starting agent');
    await agent.start();
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
  await supervisor.start();
  await waitSupervisorReady(docker, supervisor);
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
