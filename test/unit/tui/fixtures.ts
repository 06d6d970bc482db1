import { EmbeddedGateway } from '../../../core/gateway/embedded.ts';
import type { PolicySetOptions, PolicySetResult, Sandbox, SandboxSpec } from '../../../core/gateway/types.ts';
import type { InferenceView } from '../../../core/gateway/inference-config.ts';
import { EMPTY_CONFIG, type InferenceConfig } from '../../../core/inference/types.ts';
import type { InferenceDetails } from '../../../core/events/inference.ts';
import type { TrafficEvent } from '../../../core/events/traffic.ts';
import { PolicyStore, type Revision } from '../../../core/policy/index.ts';
import type { Captured, TuiHost } from '../../../components/host.ts';

export function sandbox(name: string, extra: Partial<Sandbox> = {}): Sandbox {
  return {
    name,
    id: 'abcd1234',
    phase: 'ready',
    image: 'openshell/sandbox:1',
    labels: {},
    createdAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    user: 'sandbox',
    workdir: '/sandbox',
    policyRevision: 1,
    ...extra,
  };
}

export const POLICY = `version: 1
network_policies:
  github:
    endpoints:
      - { host: api.github.com, port: 443 }
    binaries:
      - { path: /usr/bin/git }
  pypi:
    endpoints:
      - { host: pypi.org, port: 443 }
    binaries:
      - { path: /usr/bin/pip }
`;

/**
 * A real EmbeddedGateway (its event bus, its names) with the parts that need Docker or the policy
 * storage (landing in parallel) answered in memory, and every policy write recorded.
 */
export class TestGateway extends EmbeddedGateway {
  sandboxes: Sandbox[] = [];
  listError: Error | null = null;
  readonly stores = new Map<string, PolicyStore>();
  readonly setCalls: { name: string; yaml: string; opts: PolicySetOptions }[] = [];
  readonly rollbackCalls: { name: string; version: number }[] = [];
  readonly calls: string[] = [];
  watching: boolean | 'unsupported' = false;

  withPolicy(name: string, yaml = POLICY): this {
    const store = new PolicyStore({ live: true });
    const r = store.setText(yaml, 'test.yaml', { author: 'test', source: 'test' });
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
    store.markLoaded(r.revision.version);
    this.stores.set(name, store);
    return this;
  }

  override listSandboxes(): Promise<Sandbox[]> {
    this.calls.push('listSandboxes');
    return this.listError ? Promise.reject(this.listError) : Promise.resolve([...this.sandboxes]);
  }
  readonly created: SandboxSpec[] = [];
  override createSandbox(spec: SandboxSpec): Promise<Sandbox> {
    this.created.push(spec);
    const s = sandbox(spec.name ?? 'random-name');
    this.sandboxes.push(s);
    return Promise.resolve(s);
  }
  override deleteSandbox(name: string): Promise<void> {
    this.calls.push(`deleteSandbox ${name}`);
    this.sandboxes = this.sandboxes.filter((s) => s.name !== name);
    return Promise.resolve();
  }
  override stopSandbox(name: string): Promise<Sandbox> {
    this.calls.push(`stopSandbox ${name}`);
    return Promise.resolve(sandbox(name, { phase: 'stopped' }));
  }
  override startSandbox(name: string): Promise<Sandbox> {
    this.calls.push(`startSandbox ${name}`);
    return Promise.resolve(sandbox(name));
  }
  private store(name: string): PolicyStore {
    const s = this.stores.get(name);
    if (!s) throw new Error(`no policy for ${name}`);
    return s;
  }
  override getPolicy(name: string): Promise<Revision> {
    return Promise.resolve().then(() => this.store(name).latest()!);
  }
  override listPolicyRevisions(name: string): Promise<Revision[]> {
    return Promise.resolve().then(() => [...this.store(name).list()]);
  }
  override setPolicy(name: string, yaml: string, opts: PolicySetOptions): Promise<PolicySetResult> {
    this.setCalls.push({ name, yaml, opts });
    return Promise.resolve().then(() => this.store(name).setText(yaml, 'tui.yaml', opts));
  }
  override rollbackPolicy(name: string, version: number, opts: PolicySetOptions): Promise<PolicySetResult> {
    this.rollbackCalls.push({ name, version });
    return Promise.resolve().then(() => ({ ok: true as const, ...this.store(name).rollback(version, opts) }));
  }
  /** The router's configuration as `getInference` answers it; `inferenceError` makes it fail. */
  routerConfig: InferenceConfig = EMPTY_CONFIG;
  inferenceError: Error | null = null;
  inferenceReads = 0;
  override getInference(): Promise<InferenceView> {
    this.inferenceReads++;
    return this.inferenceError ? Promise.reject(this.inferenceError) : Promise.resolve({ config: this.routerConfig });
  }
  override watchTraffic(): () => void {
    if (this.watching === 'unsupported') throw new Error('traffic: not implemented yet');
    this.watching = true;
    return () => {
      this.watching = false;
    };
  }
}

let seq = 0;
export function decision(extra: Partial<TrafficEvent> = {}): TrafficEvent {
  seq++;
  return {
    seq,
    time: '2026-11-30T04:10:00.000Z',
    sandbox: 'alpha',
    layer: 'l4',
    action: 'allow',
    binary: '/usr/bin/curl',
    pid: 42,
    ancestors: ['/bin/bash', '/sbin/init'],
    host: 'example.com',
    port: 443,
    rule: 'example',
    reason: 'allowed by rule example',
    bytesIn: 1200,
    bytesOut: 300,
    ...extra,
  };
}

export function deny(extra: Partial<TrafficEvent> = {}): TrafficEvent {
  const host = extra.host ?? 'evil.example';
  const port = extra.port ?? 443;
  const binary = extra.binary ?? '/usr/bin/curl';
  return decision({
    action: 'deny',
    host,
    port,
    rule: null,
    reason: `no rule allows ${binary} to reach ${host}:${port}`,
    error: 'policy_denied',
    ruleMissing: { type: 'l4_allow', layer: 'l4', host, port, binary },
    ...extra,
  });
}

/** One call through the privacy router, as the supervisor reports it (`layer: "inference"`). */
export function routed(details: Partial<InferenceDetails> = {}, extra: Partial<TrafficEvent> = {}): TrafficEvent {
  const inference: InferenceDetails = {
    api: 'chat',
    model: 'fast',
    backend: 'local-llm',
    tier: 'local',
    status: 200,
    findings: {},
    redacted: 0,
    tokensIn: 120,
    tokensOut: 30,
    costUsd: 0,
    latencyMs: 340,
    fallback: [],
    ...details,
  };
  return decision({
    layer: 'inference',
    host: 'inference.local',
    port: 443,
    method: 'POST',
    path: '/v1/chat/completions',
    rule: inference.backend ?? null,
    reason: inference.backend ? `served by \`${inference.backend}\` (${inference.tier})` : 'no backend',
    durationMs: inference.latencyMs,
    inference,
    ...extra,
  });
}

/** A host that records what the TUI asked of the terminal instead of running it. */
export class RecordingHost implements TuiHost {
  readonly runs: string[][] = [];
  edits: string[] = [];
  /** What the "editor" saves, given what it was opened with. */
  editor: (text: string) => string = (t) => t;
  exitCode = 0;
  openshell(args: readonly string[]): Promise<number> {
    this.runs.push([...args]);
    return Promise.resolve(this.exitCode);
  }
  readonly captures: { args: string[]; gateway: string }[] = [];
  /** What a `:` command "prints". */
  captured: Captured = { code: 0, output: [] };
  capture(args: readonly string[], gateway: string): Promise<Captured> {
    this.captures.push({ args: [...args], gateway });
    return Promise.resolve(this.captured);
  }
  editText(text: string): Promise<string> {
    this.edits.push(text);
    return Promise.resolve(this.editor(text));
  }
}
