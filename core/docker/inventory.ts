import type Docker from 'dockerode';
import type { Phase, Sandbox } from '../gateway/types.ts';
import { LABEL, MANAGED, readUserLabels } from './labels.ts';
import type { PodSpec } from './pod.ts';

/** A pod younger than this with a missing half is taken to be still under construction by some client. */
export const PROVISIONING_GRACE_MS = 60_000;

export interface PodParts {
  readonly name: string;
  supervisor?: Docker.ContainerInfo;
  agent?: Docker.ContainerInfo;
}

function exitCode(c: Docker.ContainerInfo): number | undefined {
  const m = /Exited \((-?\d+)\)/.exec(c.Status);
  return m ? Number(m[1]) : undefined;
}

function describeExit(code: number | undefined): string {
  if (code === undefined) return 'is not running';
  if (code > 128) return `was killed by signal ${code - 128} (exit code ${code})`;
  return `exited with code ${code}`;
}

/** The user-visible phase of a pod, read from its containers' states alone. */
export function phaseOf(parts: PodParts, now = Date.now()): { phase: Phase; reason?: string } {
  const { supervisor: sup, agent } = parts;
  if (!sup) return { phase: 'error', reason: 'the supervisor container is missing; delete and re-create the sandbox' };
  const young = now - sup.Created * 1000 < PROVISIONING_GRACE_MS;
  if (!agent) {
    return young
      ? { phase: 'provisioning' }
      : { phase: 'error', reason: 'the agent container is missing (creation was interrupted)' };
  }
  if (sup.State === 'running') {
    if (agent.State === 'running') return { phase: 'ready' };
    if (agent.State === 'created') return { phase: 'provisioning' };
    return { phase: 'error', reason: `the agent's main process ${describeExit(exitCode(agent))}` };
  }
  if (sup.State === 'created') return { phase: young ? 'provisioning' : 'error', reason: 'the supervisor never started' };
  const code = exitCode(sup);
  if (code === 0 && agent.State !== 'running') return { phase: 'stopped' };
  return {
    phase: 'error',
    reason: `the supervisor ${describeExit(code)}; the agent has no egress. Run \`openshell sandbox start ${parts.name}\``,
  };
}

export async function listPodParts(docker: Docker, name?: string): Promise<PodParts[]> {
  const filters: Record<string, string[]> = { label: [`${LABEL.managedBy}=${MANAGED}`] };
  if (name !== undefined) filters.label!.push(`${LABEL.sandboxName}=${name}`);
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify(filters) });
  const byName = new Map<string, PodParts>();
  for (const c of containers) {
    const n = c.Labels[LABEL.sandboxName];
    const role = c.Labels[LABEL.role];
    if (!n || (role !== 'supervisor' && role !== 'agent')) continue;
    let parts = byName.get(n);
    if (!parts) byName.set(n, (parts = { name: n }));
    parts[role] = c;
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** `policyRevision` comes from the state volume (see core/gateway/revision-peek.ts), not from the containers. */
export function toSandbox(parts: PodParts, now = Date.now(), policyRevision?: number): Sandbox {
  const labels = parts.supervisor?.Labels ?? parts.agent?.Labels ?? {};
  let spec: Partial<PodSpec> = {};
  try {
    spec = JSON.parse(parts.supervisor?.Labels[LABEL.spec] ?? '{}') as Partial<PodSpec>;
  } catch {
    // A damaged label shows as unknown fields, not as a crash.
  }
  const { phase, reason } = phaseOf(parts, now);
  const sandbox = sandboxFromSpec(
    {
      name: parts.name,
      id: labels[LABEL.sandboxId] ?? '',
      image: spec.image ?? parts.agent?.Image ?? '',
      labels: readUserLabels(labels),
      createdAt: spec.createdAt ?? new Date((parts.supervisor?.Created ?? 0) * 1000).toISOString(),
      user: spec.user ?? '',
      workdir: spec.workdir ?? '',
      ...(spec.cpu === undefined ? {} : { cpu: spec.cpu }),
      ...(spec.memory === undefined ? {} : { memory: spec.memory }),
      ...(spec.providers === undefined ? {} : { providers: spec.providers }),
    },
    phase,
    reason,
  );
  return policyRevision === undefined ? sandbox : { ...sandbox, policyRevision };
}

type SpecFields = Pick<PodSpec, 'name' | 'id' | 'image' | 'labels' | 'createdAt' | 'user' | 'workdir' | 'cpu' | 'memory' | 'providers'>;

/** The user-facing record of a sandbox, from what it was created with and its phase. */
export function sandboxFromSpec(spec: SpecFields, phase: Phase, reason?: string): Sandbox {
  return {
    name: spec.name,
    id: spec.id,
    phase,
    ...(reason === undefined ? {} : { reason }),
    image: spec.image,
    labels: { ...spec.labels },
    createdAt: spec.createdAt,
    user: spec.user,
    workdir: spec.workdir,
    ...(spec.cpu === undefined ? {} : { cpu: spec.cpu }),
    ...(spec.memory === undefined ? {} : { memory: spec.memory }),
    ...(spec.providers === undefined ? {} : { providers: [...spec.providers] }),
  };
}
