// Sandbox creation: everything is checked (name, policy, providers, image) before the pod is made, and the
// slow reads run side by side so creation costs little more than the containers themselves.
import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { NotFoundError, SandboxError } from '../errors.ts';
import { dockerStatus } from '../docker/client.ts';
import { ensureImages, type ImageProgress } from '../docker/images/index.ts';
import type { PodParts } from '../docker/inventory.ts';
import { sandboxFromSpec } from '../docker/inventory.ts';
import { createPod, type PodSpec } from '../docker/pod.ts';
import { filesystemPlan, policyUser } from '../docker/static-policy.ts';
import { refuseObviousRoot } from '../docker/user.ts';
import type { Revision } from '../policy/index.ts';
import type { InferenceService } from './inference-config.ts';
import { randomName, validateName } from './names.ts';
import { initialPolicy, stateFiles } from './policy-state.ts';
import { bindProviders } from './providers-bind.ts';
import type { ProviderService } from './providers-ops.ts';
import type { Phase, Progress, Sandbox, SandboxSpec } from './types.ts';
import { inferenceEnv } from '../inference/agent-env.ts';

export interface CreateContext {
  readonly docker: Docker;
  readonly gatewayName: string;
  readonly location: string;
  readonly providers: ProviderService;
  readonly inference: InferenceService;
  /** The PEM CAs trusted for upstream TLS on this Docker host (`gateway start --upstream-ca`). */
  readonly upstreamCa: () => Promise<string | undefined>;
  /** Engine reachable and network present. */
  readonly prepare: () => Promise<void>;
  readonly existing: (name: string) => Promise<PodParts[]>;
  readonly phase: (name: string, phase: Phase, reason?: string) => void;
}

function imageProgressLine(e: ImageProgress): string {
  return `[images ${e.index}/${e.total}] ${e.step}: ${e.message}`;
}

export async function createSandbox(
  ctx: CreateContext,
  spec: SandboxSpec,
  opts: { progress?: Progress; startAgent?: boolean },
): Promise<{ sandbox: Sandbox; revision: Revision }> {
  const progress = opts.progress ?? (() => undefined);
  const name = validateName(spec.name ?? randomName());
  // The policy is checked before anything exists, so a bad file leaves nothing behind.
  const store = await initialPolicy(spec.policy);
  const revision = store.latest()!;
  // Read alongside the image work below; an unknown provider fails at once, before anything is created.
  const binding = ctx.providers.records(spec.providers ?? []).then((r) => bindProviders(r, spec.env ?? {}));
  binding.catch(() => undefined);
  // Read alongside the image work below; without it the sandbox's router answers 503 (not configured).
  const inferenceFiles = ctx.inference.sandboxFiles(name).catch(() => []);
  const upstreamCa = ctx.upstreamCa();
  upstreamCa.catch(() => undefined);
  await ctx.prepare();
  // The agent image is inspected as soon as its tag is known, alongside the name check.
  const [existing, [images, image, config], bound] = await Promise.all([
    ctx.existing(name),
    ensureImages(ctx.docker, { onProgress: (e) => progress(imageProgressLine(e)) }).then(async (images) => {
      const image = spec.image ?? images.sandbox.tag;
      return [images, image, await inspectImage(ctx, image)] as const;
    }),
    binding,
  ]);
  if (existing.length > 0) {
    throw new SandboxError(`sandbox \`${name}\` already exists`, { exitCode: 2, hint: 'pick another --name or delete it first' });
  }
  const workdir = spec.workdir ?? (config.WorkingDir && config.WorkingDir !== '/' ? config.WorkingDir : '/sandbox');
  const pod: PodSpec = {
    name,
    id: randomBytes(4).toString('hex'),
    image,
    supervisorImage: images.supervisor.tag,
    // The SDKs' own variables point at the privacy router unless the user set them (--env).
    env: { ...inferenceEnv(), ...spec.env, ...bound.env },
    labels: spec.labels ?? {},
    ...(bound.names.length > 0 ? { providers: bound.names } : {}),
    ...(spec.cpu === undefined ? {} : { cpu: spec.cpu }),
    ...(spec.memory === undefined ? {} : { memory: spec.memory }),
    workdir,
    user: policyUser(revision.policy, spec.user ?? config.User ?? ''),
    command: spec.command ?? [],
    createdAt: new Date().toISOString(),
    filesystem: filesystemPlan(revision.policy, workdir),
  };
  refuseObviousRoot(pod.user, image);
  ctx.phase(name, 'provisioning');
  try {
    const state = {
      files: stateFiles(store, revision),
      secretFiles: [...bound.secretFiles, ...(await inferenceFiles)],
      upstreamCa: await upstreamCa,
    };
    await createPod(ctx.docker, pod, progress, { startAgent: opts.startAgent ?? true, state });
  } catch (err) {
    ctx.phase(name, 'error', err instanceof Error ? err.message : String(err));
    throw err;
  }
  const phase = opts.startAgent === false ? 'provisioning' : 'ready';
  ctx.phase(name, phase);
  return { sandbox: { ...sandboxFromSpec(pod, phase), policyRevision: revision.version }, revision };
}

async function inspectImage(ctx: CreateContext, image: string): Promise<{ User?: string; WorkingDir?: string }> {
  try {
    const info = await ctx.docker.getImage(image).inspect();
    return info.Config;
  } catch (err) {
    if (dockerStatus(err) === 404) {
      throw new NotFoundError(`image \`${image}\` is not on the Docker engine at ${ctx.location}`, {
        exitCode: 2,
        hint: 'build or pull it first (`docker pull`, `docker build`), or omit --image for the default sandbox image',
      });
    }
    throw err;
  }
}
