import { NotFoundError, UsageError } from '../errors.ts';
import type { GatewayStore } from './store.ts';
import type { ProviderDelivery } from './providers-deliver.ts';
import { recordFrom, toView, validateProviderName, type ProviderInput, type ProviderRecord, type ProviderView } from './providers.ts';

/** The `providers` document of the gateway store: every provider by name, secrets included. */
export const PROVIDERS_DOC = 'providers';

interface ProvidersDoc {
  readonly providers: Readonly<Record<string, ProviderRecord>>;
}

const notFound = (name: string): NotFoundError =>
  new NotFoundError(`provider \`${name}\` not found`, { exitCode: 2, hint: 'see `openshell provider list`' });

/** Provider CRUD on the gateway store; what it returns to clients never carries a secret. */
export class ProviderService {
  /** `mapError` turns an engine that does not answer into the gateway's usual "Docker is not reachable". */
  constructor(
    private readonly store: GatewayStore,
    private readonly mapError: (err: unknown) => unknown = (err) => err,
    /** Brings a replaced or deleted provider to the sandboxes bound to it (providers-deliver.ts). */
    private readonly deliver?: (name: string) => Promise<ProviderDelivery>,
  ) {}

  private async all(): Promise<Readonly<Record<string, ProviderRecord>>> {
    try {
      return (await this.store.readDoc<ProvidersDoc>(PROVIDERS_DOC)).value?.providers ?? {};
    } catch (err) {
      throw this.mapError(err);
    }
  }

  private async update<R>(change: (providers: Readonly<Record<string, ProviderRecord>>) => { value: ProvidersDoc; result: R }): Promise<R> {
    try {
      return await this.store.updateDoc<ProvidersDoc, R>(PROVIDERS_DOC, (doc) => change(doc?.providers ?? {}));
    } catch (err) {
      throw this.mapError(err);
    }
  }

  async create(input: ProviderInput): Promise<ProviderView> {
    // Checked before the store is touched, so a bad flag costs no engine round trip.
    const now = new Date().toISOString();
    const checked = recordFrom(input, now);
    let replaced = false;
    const view = await this.update((providers) => {
      const old = providers[checked.name];
      if (old && input.replace !== true) {
        throw new UsageError(`provider \`${checked.name}\` already exists`, 'pass --replace to overwrite it, or delete it first');
      }
      replaced = old !== undefined;
      const record = old ? { ...checked, createdAt: old.createdAt } : checked;
      return { value: { providers: { ...providers, [record.name]: record } }, result: toView(record) };
    });
    if (!replaced || !this.deliver) return view;
    const sandboxes = await this.deliverSafely(checked.name);
    return sandboxes.updated.length + sandboxes.failed.length > 0 ? { ...view, sandboxes } : view;
  }

  async list(): Promise<ProviderView[]> {
    return Object.values(await this.all())
      .map(toView)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<ProviderView> {
    const r = (await this.all())[validateProviderName(name)];
    if (!r) throw notFound(name);
    return toView(r);
  }

  /** Deletes `name` and takes its values out of the sandboxes bound to it. */
  async delete(name: string): Promise<ProviderDelivery> {
    validateProviderName(name);
    await this.update((current) => {
      if (!current[name]) throw notFound(name);
      const providers = { ...current };
      delete providers[name];
      return { value: { providers }, result: undefined };
    });
    return this.deliver ? this.deliverSafely(name) : { updated: [], failed: [], missingKeys: [] };
  }

  /** The store already changed: an engine that fails now is reported per sandbox, not thrown. */
  private async deliverSafely(name: string): Promise<ProviderDelivery> {
    try {
      return await this.deliver!(name);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return { updated: [], failed: [{ sandbox: '*', error }], missingKeys: [] };
    }
  }

  /** The records (secrets included) for binding a new sandbox; every name must exist. */
  async records(names: readonly string[]): Promise<ProviderRecord[]> {
    if (names.length === 0) return [];
    const all = await this.all();
    return [...new Set(names)].map((n) => {
      const r = all[validateProviderName(n)];
      if (!r) throw notFound(n);
      return r;
    });
  }
}
