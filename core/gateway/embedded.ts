import type Docker from 'dockerode';
import { EventBus } from '../events/bus.ts';
import { NotFoundError, SandboxError } from '../errors.ts';
import { asUnreachable, assertDockerReachable, dockerClient, dockerStatus, tolerate, type DockerEndpoint, LOCAL_ENDPOINT } from '../docker/client.ts';
import { containerName, EGRESS_NETWORK, LABEL, MANAGED } from '../docker/labels.ts';
import { listPodParts, toSandbox, type PodParts } from '../docker/inventory.ts';
import { removePod, startPod, stopPod } from '../docker/pod.ts';
import { execIn } from '../docker/exec.ts';
import { attachMain } from '../docker/attach.ts';
import { downloadFrom, uploadTo } from '../docker/files.ts';
import { streamLogs } from '../docker/logs.ts';
import { reconcile } from '../docker/reconcile.ts';
import type { Revision } from '../policy/index.ts';
import { PolicyState } from './policy-state.ts';
import { changePolicy, type PolicyDeps } from './policy-ops.ts';
import { watchTraffic } from './traffic.ts';
import { createSandbox } from './create-sandbox.ts';
import { listImages } from '../docker/images/index.ts';
import { RevisionPeek } from './revision-peek.ts';
import { ProviderService } from './providers-ops.ts';
import { deliverLatest, type ProviderDelivery } from './providers-deliver.ts';
import type { ProviderInput, ProviderView } from './providers.ts';
import { GatewayStore } from './store.ts';
import { inferenceService, type InferenceChange, type InferenceService, type InferenceView } from './inference-config.ts';
import { settleGatewayState } from './start-state.ts';
import { loadUpstreamCa } from './upstream-ca.ts';
import type { Explanation } from '../inference/explain.ts';
import type { ApiKind } from '../inference/route.ts';
import type {
  TrafficWatchOptions,
  PolicySetOptions,
  PolicySetResult,
  AttachOptions,
  AttachResult,
  ExecOptions,
  Gateway,
  GatewayEvents,
  GatewayStartOptions,
  GatewayStatus,
  LogOptions,
  Phase,
  Progress,
  Sandbox,
  SandboxSpec,
} from './types.ts';

const now = (): string => new Date().toISOString();

/** The gateway core running inside this process, driving one Docker engine. */
export class EmbeddedGateway implements Gateway {
  readonly events = new EventBus<GatewayEvents>();
  private readonly docker: Docker;
  private readonly policies: PolicyState;
  private readonly revisionPeek: RevisionPeek;

  constructor(
    readonly name = 'local',
    private readonly endpoint: DockerEndpoint = LOCAL_ENDPOINT,
    docker?: Docker,
  ) {
    this.docker = docker ?? dockerClient(endpoint);
    this.policies = new PolicyState(this.docker);
    this.revisionPeek = new RevisionPeek(this.docker);
  }

  private gatewayStore: GatewayStore | undefined;
  /** One store object, so its container is checked once per gateway, not once per use. */
  private get gatewayState(): GatewayStore {
    return (this.gatewayStore ??= new GatewayStore(this.docker));
  }

  private providerService: ProviderService | undefined;
  private get providers(): ProviderService {
    return (this.providerService ??= new ProviderService(
      this.gatewayState,
      (err) => asUnreachable(err, this.endpoint.socketPath),
      (name) => deliverLatest(this.docker, this.gatewayState, name),
    ));
  }

  private inferenceState: InferenceService | undefined;
  private get inference(): InferenceService {
    return (this.inferenceState ??= inferenceService(this.docker, this.gatewayState));
  }

  private get policyDeps(): PolicyDeps {
    return { docker: this.docker, state: this.policies, events: this.events };
  }

  get location(): string {
    return `unix://${this.endpoint.socketPath}`;
  }

  private phase(name: string, phase: Phase, reason?: string): void {
    this.events.emit('sandbox.phase', { name, phase, time: now(), ...(reason === undefined ? {} : { reason }) });
  }

  /** Engine reachable, egress network present, leftovers of interrupted work cleaned. Idempotent. */
  async start(opts: GatewayStartOptions = {}): Promise<GatewayStatus> {
    await assertDockerReachable(this.docker, this.endpoint.socketPath);
    await this.ensureNetwork();
    const notes = await reconcile(this.docker);
    notes.push(...(await settleGatewayState(this.docker, this.gatewayState, this.inference, opts)));
    for (const message of notes) {
      opts.progress?.(message);
      this.events.emit('gateway.notice', { message, time: now() });
    }
    return this.status();
  }

  private async ensureNetwork(): Promise<void> {
    try {
      await this.docker.getNetwork(EGRESS_NETWORK).inspect();
    } catch (err) {
      if (dockerStatus(err) !== 404) throw err;
      await tolerate([409], () =>
        this.docker.createNetwork({ Name: EGRESS_NETWORK, Driver: 'bridge', Labels: { [LABEL.managedBy]: MANAGED } }),
      );
    }
  }

  async status(): Promise<GatewayStatus> {
    const base = { name: this.name, location: this.location };
    try {
      await this.docker.ping();
    } catch {
      return { ...base, state: 'unreachable', sandboxes: 0, ready: 0, images: {}, message: `Docker is not reachable at ${this.location}` };
    }
    const [version, sandboxes, images, network] = await Promise.all([
      this.docker.version(),
      this.listSandboxes(),
      listImages(this.docker),
      this.docker.getNetwork(EGRESS_NETWORK).inspect().then(() => true, () => false),
    ]);
    const latest = (repo: string): string | undefined => {
      const img = images.find((i) => i.repository === repo);
      return img ? `${repo}:${img.tags[0] ?? 'latest'}` : undefined;
    };
    const sup = latest('openshell/supervisor');
    const sb = latest('openshell/sandbox');
    return {
      ...base,
      state: network ? 'running' : 'not-started',
      engineVersion: version.Version,
      sandboxes: sandboxes.length,
      ready: sandboxes.filter((s) => s.phase === 'ready').length,
      images: { ...(sup ? { supervisor: sup } : {}), ...(sb ? { sandbox: sb } : {}) },
    };
  }

  async stop(): Promise<void> {
    for (const s of await this.listSandboxes()) if (s.phase !== 'stopped') await this.stopSandbox(s.name);
  }

  async destroy(): Promise<void> {
    for (const s of await this.listSandboxes()) await this.deleteSandbox(s.name);
    await tolerate([404], () => this.docker.getNetwork(EGRESS_NETWORK).remove());
  }

  private prepared: Promise<void> | undefined;

  /** Engine reachable and network present: checked once per gateway object (a failure is retried). */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      await assertDockerReachable(this.docker, this.endpoint.socketPath);
      await this.ensureNetwork();
    })().catch((err: unknown) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }

  async createSandbox(spec: SandboxSpec, opts: { progress?: Progress; startAgent?: boolean } = {}): Promise<Sandbox> {
    const created = await createSandbox(
      {
        docker: this.docker,
        prepare: () => this.prepare(),
        gatewayName: this.name,
        location: this.location,
        providers: this.providers,
        inference: this.inference,
        upstreamCa: () => loadUpstreamCa(this.gatewayState),
        existing: (name) => this.parts(name),
        phase: (name, phase, reason) => this.phase(name, phase, reason),
      },
      spec,
      opts,
    );
    this.events.emit('policy.revision', { sandbox: created.sandbox.name, revision: created.revision, time: now() });
    return created.sandbox;
  }

  /** Every command's first engine call goes through here, so a dead engine reads as one clear error. */
  private async parts(name?: string): Promise<PodParts[]> {
    try {
      return await listPodParts(this.docker, name);
    } catch (err) {
      throw asUnreachable(err, this.endpoint.socketPath);
    }
  }

  async listSandboxes(selector?: Readonly<Record<string, string>>): Promise<Sandbox[]> {
    const parts = await this.parts();
    const revisions = await this.revisionPeek.revisions(parts);
    const all = parts.map((p) => toSandbox(p, Date.now(), revisions.get(p.name)));
    if (!selector) return all;
    return all.filter((s) => Object.entries(selector).every(([k, v]) => s.labels[k] === v));
  }

  async getSandbox(name: string): Promise<Sandbox> {
    const parts = await this.parts(name);
    if (parts.length === 0) {
      throw new NotFoundError(`sandbox \`${name}\` not found`, { exitCode: 2, hint: 'see `openshell sandbox list`' });
    }
    const revisions = await this.revisionPeek.revisions(parts, false);
    return toSandbox(parts[0]!, Date.now(), revisions.get(name));
  }

  async deleteSandbox(name: string): Promise<void> {
    await this.getSandbox(name);
    this.phase(name, 'deleting');
    await removePod(this.docker, name);
    // Its inference overrides go too; a failure here is repaired by the next `gateway start`.
    await this.inference.forgetSandbox(name).catch(() => undefined);
    this.events.emit('sandbox.deleted', { name, time: now() });
  }

  async stopSandbox(name: string): Promise<Sandbox> {
    await this.getSandbox(name);
    this.phase(name, 'stopping');
    await stopPod(this.docker, name);
    const s = await this.getSandbox(name);
    this.phase(name, s.phase, s.reason);
    return s;
  }

  async startSandbox(name: string): Promise<Sandbox> {
    await this.getSandbox(name);
    await this.ensureNetwork();
    this.phase(name, 'provisioning');
    await startPod(this.docker, name);
    const s = await this.getSandbox(name);
    this.phase(name, s.phase, s.reason);
    return s;
  }

  private async readySandbox(name: string): Promise<Sandbox> {
    const s = await this.getSandbox(name);
    if (s.phase !== 'ready') {
      throw new SandboxError(`sandbox \`${name}\` is ${s.phase}${s.reason ? `: ${s.reason}` : ''}`, {
        hint: s.phase === 'stopped' ? `start it with \`openshell sandbox start ${name}\`` : undefined,
      });
    }
    return s;
  }

  async exec(name: string, opts: ExecOptions): Promise<number> {
    try {
      return await execIn(this.docker, this.docker.getContainer(containerName(name, 'agent')), opts);
    } catch (err) {
      // The fast path failed: say why in the sandbox's terms (not found, stopped, broken).
      const status = dockerStatus(err);
      if (status === 404 || status === 409) await this.readySandbox(name);
      throw asUnreachable(err, this.endpoint.socketPath);
    }
  }

  async attach(name: string, opts: AttachOptions): Promise<AttachResult> {
    const s = await this.getSandbox(name);
    // A pod created with `startAgent: false` is provisioning until this attach starts its agent.
    if (s.phase !== 'provisioning') await this.readySandbox(name);
    return attachMain(this.docker.getContainer(containerName(name, 'agent')), opts);
  }

  async logs(name: string, opts: LogOptions): Promise<void> {
    await this.getSandbox(name);
    await streamLogs(this.docker, name, opts);
  }

  async listPolicyRevisions(name: string): Promise<Revision[]> {
    await this.getSandbox(name);
    return this.policies.revisions(name);
  }

  async getPolicy(name: string, version?: number): Promise<Revision> {
    await this.getSandbox(name);
    return this.policies.get(name, version);
  }

  async setPolicy(name: string, yaml: string, opts: PolicySetOptions): Promise<PolicySetResult> {
    await this.getSandbox(name);
    return changePolicy(this.policyDeps, name, (store) => store.setText(yaml, opts.source, opts), opts);
  }

  async rollbackPolicy(name: string, version: number, opts: PolicySetOptions): Promise<PolicySetResult> {
    await this.getSandbox(name);
    return changePolicy(this.policyDeps, name, (store) => store.rollback(version, opts), opts);
  }

  watchTraffic(name: string | undefined, opts?: TrafficWatchOptions): () => void {
    const names = async (): Promise<string[]> => (await this.parts()).map((p) => p.name);
    return watchTraffic(this.docker, this.events, names, name, opts);
  }

  createProvider(input: ProviderInput): Promise<ProviderView> {
    return this.providers.create(input);
  }
  listProviders(): Promise<ProviderView[]> {
    return this.providers.list();
  }
  getProvider(name: string): Promise<ProviderView> {
    return this.providers.get(name);
  }
  deleteProvider(name: string): Promise<ProviderDelivery> {
    return this.providers.delete(name);
  }
  getInference(): Promise<InferenceView> {
    return this.inference.get();
  }
  updateInference(change: InferenceChange): Promise<InferenceView> {
    return this.inference.update(change);
  }
  explainInference(api: ApiKind, request: Record<string, unknown>, sandbox?: string): Promise<Explanation> {
    return this.inference.explain(api, request, sandbox);
  }

  async upload(name: string, localPath: string, dest?: string): Promise<void> {
    const s = await this.readySandbox(name);
    const agent = this.docker.getContainer(containerName(name, 'agent'));
    const ids = await agentIds(this.docker, agent);
    await uploadTo(agent, localPath, dest ?? s.workdir, ids);
  }

  async download(name: string, path: string, localDest: string): Promise<void> {
    await this.getSandbox(name);
    await downloadFrom(this.docker.getContainer(containerName(name, 'agent')), path, localDest);
  }
}

/** The uid/gid the agent runs as, asked of the running container itself. */
async function agentIds(docker: Docker, agent: Docker.Container): Promise<{ uid: number; gid: number }> {
  const { PassThrough } = await import('node:stream');
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString();
  });
  await execIn(docker, agent, { cmd: ['sh', '-c', 'echo $(id -u) $(id -g)'], stdout: out, stderr: new PassThrough() });
  const [uid, gid] = text.trim().split(' ').map(Number);
  if (uid === undefined || gid === undefined || Number.isNaN(uid) || Number.isNaN(gid)) {
    throw new SandboxError('could not read the agent user id');
  }
  return { uid, gid };
}
