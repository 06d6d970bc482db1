import type Docker from 'dockerode';
import { NotFoundError, UsageError } from '../errors.ts';
import { writeStateFiles, type StateFile } from '../docker/policy-volume.ts';
import { containerName } from '../docker/labels.ts';
import { listPodParts } from '../docker/inventory.ts';
import { backendProblems, compileConfig, configProblems } from '../inference/config.ts';
import { explainRequest, type Explanation } from '../inference/explain.ts';
import { loadPrivacyPolicy } from '../inference/privacy-policy.ts';
import type { ApiKind } from '../inference/route.ts';
import { effectiveConfig, EMPTY_CONFIG, type Backend, type Budget, type InferenceConfig, type SandboxOverride } from '../inference/types.ts';
import type { Problem } from '../policy/index.ts';
import type { ProviderRecord } from './providers.ts';
import type { GatewayStore } from './store.ts';

/**
 * The privacy router's configuration on the gateway: one `inference` document in the gateway store,
 * delivered to every sandbox's supervisor as `inference.json` (root-only, archive API) with the
 * backends' credentials resolved from their providers. Clients only ever see provider names.
 */

export const INFERENCE_DOC = 'inference';
export const INFERENCE_FILE = 'inference.json';

/** What the supervisor reads: the configuration plus backend name → secret, resolved from each backend's provider. */
export interface InferenceFile {
  readonly version: 1;
  readonly config: InferenceConfig;
  readonly credentials: Readonly<Record<string, string>>;
}

/** Routes, policy and budget changes apply to one sandbox (an override) when `sandbox` is given. */
export type InferenceChange =
  | { readonly op: 'add-backend'; readonly backend: Backend; readonly replace?: boolean }
  | { readonly op: 'remove-backend'; readonly name: string }
  | { readonly op: 'set-route'; readonly alias: string; readonly backends: readonly string[]; readonly sandbox?: string }
  | { readonly op: 'remove-route'; readonly alias: string; readonly sandbox?: string }
  | { readonly op: 'set-policy'; readonly text: string; readonly source?: string; readonly sandbox?: string }
  | { readonly op: 'clear-policy'; readonly sandbox?: string }
  | { readonly op: 'set-budget'; readonly budget: Budget | null; readonly sandbox?: string }
  /** Drops every override of one sandbox: it follows the gateway's configuration again. */
  | { readonly op: 'clear-overrides'; readonly sandbox: string };

export interface InferenceView {
  readonly config: InferenceConfig;
  /** Sandboxes the configuration was written to by this change (absent on reads). */
  readonly delivered?: readonly string[];
  /** Sandboxes it could not be written to, with why (they pick it up when it is next written). */
  readonly undelivered?: readonly { readonly sandbox: string; readonly error: string }[];
}

/** Raised for a privacy policy that does not validate; carries every positioned problem. */
export class InferencePolicyError extends UsageError {
  constructor(readonly problems: readonly Problem[]) {
    super(`the privacy policy has ${problems.filter((p) => p.severity === 'error').length} problem(s)`, problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`).join('; '));
  }
}

/** The credential a backend of `protocol` uses from a provider: the protocol's usual key, else its only or first *_KEY/TOKEN. */
export function providerSecret(r: ProviderRecord, protocol: Backend['protocol']): string | undefined {
  const preferred = protocol === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
  const keys = Object.keys(r.credentials);
  const key = keys.includes(preferred) ? preferred : keys.length === 1 ? keys[0] : keys.find((k) => /(_API_KEY|_KEY|_TOKEN)$/.test(k));
  return key === undefined ? undefined : r.credentials[key];
}

export function applyChange(c: InferenceConfig, change: InferenceChange, providers: Readonly<Record<string, ProviderRecord>>): InferenceConfig {
  switch (change.op) {
    case 'add-backend': {
      const b = change.backend;
      const problems = backendProblems(b);
      if (problems.length > 0) throw new UsageError(problems[0]!, problems.slice(1).join('; ') || undefined);
      if (b.provider !== undefined && !providers[b.provider]) throw new NotFoundError(`provider \`${b.provider}\` not found`, { exitCode: 2, hint: 'create it with `openshell provider create`, or leave out --provider' });
      const exists = c.backends.some((x) => x.name === b.name);
      if (exists && change.replace !== true) throw new UsageError(`backend \`${b.name}\` already exists`, 'pass --replace to overwrite it, or remove it first');
      return { ...c, backends: exists ? c.backends.map((x) => (x.name === b.name ? b : x)) : [...c.backends, b] };
    }
    case 'remove-backend': {
      if (!c.backends.some((x) => x.name === change.name)) throw new NotFoundError(`backend \`${change.name}\` not found`, { exitCode: 2, hint: 'see `openshell inference backend list`' });
      const overrides = Object.entries(c.sandboxes ?? {}).flatMap(([s, o]) => (o.routes ?? []).map((r) => ({ ...r, alias: `${r.alias} (sandbox ${s})` })));
      const using = [...c.routes, ...overrides].filter((r) => r.backends.includes(change.name)).map((r) => r.alias);
      if (using.length > 0) throw new UsageError(`backend \`${change.name}\` is used by route(s) ${using.map((a) => `\`${a}\``).join(', ')}`, 'change or remove those routes first');
      return { ...c, backends: c.backends.filter((x) => x.name !== change.name) };
    }
    case 'set-route': {
      const unknown = change.backends.filter((n) => !c.backends.some((b) => b.name === n));
      if (change.backends.length === 0) throw new UsageError('a route needs at least one backend');
      if (unknown.length > 0) throw new NotFoundError(`backend(s) ${unknown.map((n) => `\`${n}\``).join(', ')} not found`, { exitCode: 2, hint: 'add them with `openshell inference backend add` first' });
      const route = { alias: change.alias, backends: [...change.backends] };
      if (change.sandbox !== undefined) return override(c, change.sandbox, (o) => ({ ...o, routes: [...(o.routes ?? []).filter((r) => r.alias !== change.alias), route] }));
      return { ...c, routes: [...c.routes.filter((r) => r.alias !== change.alias), route] };
    }
    case 'remove-route': {
      const routes = change.sandbox === undefined ? c.routes : (c.sandboxes?.[change.sandbox]?.routes ?? []);
      if (!routes.some((r) => r.alias === change.alias)) throw new NotFoundError(`route \`${change.alias}\` not found${change.sandbox === undefined ? '' : ` for sandbox \`${change.sandbox}\``}`, { exitCode: 2 });
      if (change.sandbox !== undefined) return override(c, change.sandbox, (o) => ({ ...o, routes: routes.filter((r) => r.alias !== change.alias) }));
      return { ...c, routes: c.routes.filter((r) => r.alias !== change.alias) };
    }
    case 'set-policy': {
      const loaded = loadPrivacyPolicy(change.text, change.source ?? 'privacy policy');
      if (!loaded.ok) throw new InferencePolicyError(loaded.problems);
      if (change.sandbox !== undefined) return override(c, change.sandbox, (o) => ({ ...o, policy: change.text }));
      return { ...c, policy: change.text };
    }
    case 'clear-policy': {
      if (change.sandbox !== undefined) return override(c, change.sandbox, ({ policy: _drop, ...o }) => o);
      const { policy: _drop, ...rest } = c;
      return rest;
    }
    case 'set-budget': {
      if (change.sandbox !== undefined) return override(c, change.sandbox, (o) => ({ ...o, budget: change.budget }));
      const { budget: _old, ...rest } = c;
      return change.budget === null ? rest : { ...rest, budget: change.budget };
    }
    case 'clear-overrides':
      return override(c, change.sandbox, () => ({}));
  }
}

/** Changes one sandbox's override; an override left empty is dropped. */
function override(c: InferenceConfig, sandbox: string, change: (o: SandboxOverride) => SandboxOverride): InferenceConfig {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(sandbox)) throw new UsageError(`invalid sandbox name \`${sandbox}\``);
  const next = change(c.sandboxes?.[sandbox] ?? {});
  const { [sandbox]: _old, ...others } = c.sandboxes ?? {};
  const sandboxes = Object.keys(next).length === 0 ? others : { ...others, [sandbox]: next };
  const { sandboxes: _all, ...rest } = c;
  return Object.keys(sandboxes).length === 0 ? rest : { ...rest, sandboxes };
}

export class InferenceService {
  constructor(
    private readonly docker: Docker,
    private readonly store: GatewayStore,
    private readonly providers: () => Promise<Readonly<Record<string, ProviderRecord>>>,
  ) {}

  async get(): Promise<InferenceView> {
    return { config: (await this.store.readDoc<InferenceConfig>(INFERENCE_DOC)).value ?? EMPTY_CONFIG };
  }

  async update(change: InferenceChange): Promise<InferenceView> {
    const providers = await this.providers();
    const config = await this.store.updateDoc<InferenceConfig, InferenceConfig>(INFERENCE_DOC, (current) => {
      const next = applyChange(current ?? EMPTY_CONFIG, change, providers);
      const problems = configProblems(next);
      if (problems.length > 0) throw new UsageError(problems[0]!);
      return { value: next, result: next };
    });
    return { config, ...(await this.deliverAll(config, providers)) };
  }

  async explain(api: ApiKind, request: Record<string, unknown>, sandbox?: string): Promise<Explanation> {
    const compiled = compileConfig(effectiveConfig((await this.get()).config, sandbox));
    if (!compiled.ok) throw new UsageError(`the stored inference configuration is invalid: ${compiled.error}`);
    return explainRequest(compiled.compiled, api, request);
  }

  /** `inference.json` for a new sandbox (none while nothing is configured). */
  async sandboxFiles(sandbox: string): Promise<StateFile[]> {
    const { config } = await this.get();
    if (config.backends.length === 0) return [];
    return [fileFor(effectiveConfig(config, sandbox), await this.providers())];
  }

  /** A deleted sandbox's overrides go with it (a new sandbox of the same name starts from the gateway's configuration). */
  async forgetSandbox(sandbox: string): Promise<boolean> {
    return (await this.pruneOverrides((name) => name !== sandbox)).length > 0;
  }

  /**
   * Drops the overrides of every sandbox `keep` rejects (a Set: the sandboxes that exist). The document
   * is only locked and written when there is something to drop, so the common case costs one read.
   */
  async pruneOverrides(keep: ReadonlySet<string> | ((sandbox: string) => boolean)): Promise<string[]> {
    const kept = typeof keep === 'function' ? keep : (s: string): boolean => keep.has(s);
    const stale = (c: InferenceConfig | null): string[] => Object.keys(c?.sandboxes ?? {}).filter((s) => !kept(s));
    if (stale((await this.get()).config).length === 0) return [];
    return this.store.updateDoc<InferenceConfig, string[]>(INFERENCE_DOC, (current) => {
      const drop = stale(current);
      if (current === null || drop.length === 0) return { value: current, result: [] };
      const sandboxes = Object.fromEntries(Object.entries(current.sandboxes ?? {}).filter(([s]) => !drop.includes(s)));
      const { sandboxes: _all, ...rest } = current;
      return { value: Object.keys(sandboxes).length === 0 ? rest : { ...rest, sandboxes }, result: drop };
    });
  }

  private async deliverAll(config: InferenceConfig, providers: Readonly<Record<string, ProviderRecord>>): Promise<Pick<InferenceView, 'delivered' | 'undelivered'>> {
    const names = [...new Set((await listPodParts(this.docker)).map((p) => p.name))];
    const results = await Promise.all(
      names.map(async (sandbox) => {
        try {
          await writeStateFiles(this.docker.getContainer(containerName(sandbox, 'supervisor')), [fileFor(effectiveConfig(config, sandbox), providers)]);
          return { sandbox };
        } catch (err) {
          return { sandbox, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    return {
      delivered: results.filter((r) => r.error === undefined).map((r) => r.sandbox),
      undelivered: results.flatMap((r) => (r.error === undefined ? [] : [{ sandbox: r.sandbox, error: r.error }])),
    };
  }
}

export function fileFor(config: InferenceConfig, providers: Readonly<Record<string, ProviderRecord>>): StateFile {
  const credentials: Record<string, string> = {};
  for (const b of config.backends) {
    const r = b.provider === undefined ? undefined : providers[b.provider];
    const secret = r && providerSecret(r, b.protocol);
    if (secret !== undefined) credentials[b.name] = secret;
  }
  const file: InferenceFile = { version: 1, config, credentials };
  return { name: INFERENCE_FILE, text: JSON.stringify(file) + '\n' };
}

/** The service over the gateway store; provider records are read from the providers document. */
export function inferenceService(docker: Docker, store: GatewayStore): InferenceService {
  return new InferenceService(docker, store, async () => (await store.readDoc<{ providers: Record<string, ProviderRecord> }>('providers')).value?.providers ?? {});
}
