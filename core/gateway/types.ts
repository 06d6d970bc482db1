import type { Readable, Writable } from 'node:stream';
import type { EventBus } from '../events/bus.ts';
import type { PolicyStatusEvent, TrafficEvent } from '../events/traffic.ts';
import type { ChangeMeta, Problem, Revision } from '../policy/index.ts';
import type { ProviderInput, ProviderView } from './providers.ts';
import type { ProviderDelivery } from './providers-deliver.ts';
import type { InferenceChange, InferenceView } from './inference-config.ts';
import type { Explanation } from '../inference/explain.ts';
import type { ApiKind } from '../inference/route.ts';

export type Phase = 'provisioning' | 'ready' | 'stopping' | 'stopped' | 'error' | 'deleting';

export interface SandboxSpec {
  readonly name?: string;
  readonly image?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  /** CPUs, e.g. 1.5 */
  readonly cpu?: number;
  /** bytes */
  readonly memory?: number;
  readonly workdir?: string;
  /** `uid[:gid]` or a user name from the image; default: the image's user. */
  readonly user?: string;
  /** The agent's main process (default: a login shell to attach to). */
  readonly command?: readonly string[];
  /** Policy YAML and where it came from (default: the `default` preset); becomes revision 1. */
  readonly policy?: { readonly text: string; readonly source: string };
  /** Providers to bind: the agent gets placeholders for their credentials, the supervisor the secrets. */
  readonly providers?: readonly string[];
}

export interface Sandbox {
  readonly name: string;
  readonly id: string;
  readonly phase: Phase;
  /** Why the sandbox is in `error` (or any other note on its phase). */
  readonly reason?: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly user: string;
  readonly workdir: string;
  readonly cpu?: number;
  readonly memory?: number;
  readonly policyRevision?: number;
  /** Names of the providers bound at creation. */
  readonly providers?: readonly string[];
}

export interface GatewayStatus {
  readonly name: string;
  readonly location: string;
  readonly state: 'running' | 'not-started' | 'unreachable';
  readonly engineVersion?: string;
  readonly sandboxes: number;
  readonly ready: number;
  readonly images: { readonly supervisor?: string; readonly sandbox?: string };
  readonly message?: string;
}

export interface ExecOptions {
  readonly cmd: readonly string[];
  readonly tty?: boolean;
  readonly stdin?: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env?: Readonly<Record<string, string>>;
  readonly workdir?: string;
  readonly detachKeys?: string;
  /** Terminal size for tty sessions; `onResize` lets the caller push later sizes. */
  readonly size?: { readonly rows: number; readonly cols: number };
  readonly onResize?: (resize: (size: { rows: number; cols: number }) => void) => void;
}

export interface AttachOptions {
  readonly stdin?: Readable;
  readonly stdout: Writable;
  readonly detachKeys?: string;
  readonly size?: { readonly rows: number; readonly cols: number };
  readonly onResize?: (resize: (size: { rows: number; cols: number }) => void) => void;
}

export type AttachResult = { readonly detached: true } | { readonly detached: false; readonly exitCode: number };

export interface LogOptions {
  readonly follow?: boolean;
  readonly source?: 'agent' | 'supervisor' | 'all';
  readonly tail?: number;
  readonly stdout: Writable;
  readonly signal?: AbortSignal;
}

export type Progress = (message: string) => void;

export interface GatewayEvents {
  'sandbox.phase': { readonly name: string; readonly phase: Phase; readonly reason?: string; readonly time: string };
  'sandbox.deleted': { readonly name: string; readonly time: string };
  'gateway.notice': { readonly message: string; readonly time: string };
  /** Every egress decision of every watched sandbox (see `watchTraffic`). */
  traffic: TrafficEvent;
  'policy.status': PolicyStatusEvent;
  'policy.revision': { readonly sandbox: string; readonly revision: Revision; readonly time: string };
}

export type PolicySetResult =
  | { readonly ok: true; readonly revision: Revision; readonly changed: boolean }
  | { readonly ok: false; readonly problems: readonly Problem[] };

export interface TrafficWatchOptions {
  /** Resume cursor: decisions with `seq` at or below it were seen already. */
  readonly sinceSeq?: number;
  /** Unix milliseconds: only decisions from then on. */
  readonly sinceMs?: number;
  /** Keep following (default) or stop after the history, calling `onEnd`. */
  readonly follow?: boolean;
  /** Called once when a non-following watch has read everything, or when a named watch fails. */
  readonly onEnd?: (err?: unknown) => void;
}

export interface PolicySetOptions extends ChangeMeta {
  /** Resolve only once the supervisor reports this revision loaded or failed (or the timeout passes). */
  readonly wait?: boolean;
  readonly timeoutMs?: number;
}

export interface GatewayStartOptions {
  readonly progress?: Progress;
  readonly upstreamCa?: string | null;
}

/** The one interface the TUI and every headless command use; embedded today, served over HTTP later. */
export interface Gateway {
  readonly name: string;
  readonly location: string;
  readonly events: EventBus<GatewayEvents>;
  /** `upstreamCa`: PEM CA certificates to trust for intercepted upstream TLS on this host (null clears them). */
  start(opts?: GatewayStartOptions): Promise<GatewayStatus>;
  status(): Promise<GatewayStatus>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
  /** With `startAgent: false` the pod is left for `attach` to start, so the caller sees every byte. */
  createSandbox(spec: SandboxSpec, opts?: { progress?: Progress; startAgent?: boolean }): Promise<Sandbox>;
  listSandboxes(selector?: Readonly<Record<string, string>>): Promise<Sandbox[]>;
  getSandbox(name: string): Promise<Sandbox>;
  deleteSandbox(name: string): Promise<void>;
  stopSandbox(name: string): Promise<Sandbox>;
  startSandbox(name: string): Promise<Sandbox>;
  exec(name: string, opts: ExecOptions): Promise<number>;
  /** Attaches to the agent's main process (what `sandbox connect` and `create` without --detach show). */
  attach(name: string, opts: AttachOptions): Promise<AttachResult>;
  logs(name: string, opts: LogOptions): Promise<void>;
  /** Policy revisions of a sandbox, oldest first. */
  listPolicyRevisions(name: string): Promise<Revision[]>;
  /** One revision (default: the newest). */
  getPolicy(name: string, version?: number): Promise<Revision>;
  /** Validates YAML text and stores it as a new revision that reaches the running supervisor. */
  setPolicy(name: string, yaml: string, opts: PolicySetOptions): Promise<PolicySetResult>;
  /** A new revision equal to revision `version`. */
  rollbackPolicy(name: string, version: number, opts: PolicySetOptions): Promise<PolicySetResult>;
  /**
   * Starts emitting `traffic` and `policy.status` events for one sandbox (or every sandbox) from the
   * given cursor; returns a function that stops it.
   */
  watchTraffic(name: string | undefined, opts?: TrafficWatchOptions): () => void;
  /** Stores a provider (credential values in, never out); see core/gateway/providers.ts. */
  createProvider(input: ProviderInput): Promise<ProviderView>;
  listProviders(): Promise<ProviderView[]>;
  getProvider(name: string): Promise<ProviderView>;
  /** Deletes a provider; sandboxes bound to it lose its values (their placeholders are then refused). */
  deleteProvider(name: string): Promise<ProviderDelivery>;
  /** The privacy router's configuration (provider names, never credentials); see core/gateway/inference-config.ts. */
  getInference(): Promise<InferenceView>;
  /** One change (backend, route, privacy policy, budget), checked, stored and delivered to every sandbox. */
  updateInference(change: InferenceChange): Promise<InferenceView>;
  /** Which backend would serve `request` (in `sandbox`, with its overrides) and why, without sending it. */
  explainInference(api: ApiKind, request: Record<string, unknown>, sandbox?: string): Promise<Explanation>;
  upload(name: string, localPath: string, dest?: string): Promise<void>;
  download(name: string, path: string, localDest: string): Promise<void>;
}
