import { NotFoundError, UsageError } from '../errors.ts';
import type { GatewayStore } from './store.ts';
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
    return this.update((providers) => {
      const old = providers[checked.name];
      if (old && input.replace !== true) {
        throw new UsageError(`provider \`${checked.name}\` already exists`, 'pass --replace to overwrite it, or delete it first');
      }
      const record = old ? { ...checked, createdAt: old.createdAt } : checked;
      return { value: { providers: { ...providers, [record.name]: record } }, result: toView(record) };
    });
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

  async delete(name: string): Promise<void> {
    validateProviderName(name);
    await this.update((current) => {
      if (!current[name]) throw notFound(name);
      const providers = { ...current };
      delete providers[name];
      return { value: { providers }, result: undefined };
    });
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
