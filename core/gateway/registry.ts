import Conf from 'conf';
import { NotFoundError, UsageError } from '../errors.ts';

/** A registered gateway: the built-in local engine, a Docker host reached over SSH, or a served gateway. */
export type GatewayEntry =
  | { readonly name: string; readonly kind: 'local' }
  | {
      readonly name: string;
      readonly kind: 'https';
      /** The served gateway's base URL, `https://host[:port]` (no path). */
      readonly url: string;
      /** `sha256:<64 hex>` of the server certificate (DER) accepted when it was added (self-signed gateways). */
      readonly fingerprint?: string;
      readonly createdAt: string;
    }
  | {
      readonly name: string;
      readonly kind: 'ssh';
      /** As the user typed it: `user@host[:port]` or an ssh config alias (resolved on every connect). */
      readonly remote: string;
      readonly identity?: string;
      /** The Docker socket on the remote host. */
      readonly socketPath: string;
      readonly createdAt: string;
    };

export type RemoteEntry = Extract<GatewayEntry, { kind: 'ssh' }>;
export type HttpsEntry = Extract<GatewayEntry, { kind: 'https' }>;
type StoredEntry = RemoteEntry | HttpsEntry;

/** Where a registered gateway is, as the UI shows it (`local` is described by the caller: it knows the socket). */
export function remoteLocation(e: RemoteEntry | HttpsEntry): string {
  return e.kind === 'ssh' ? `ssh://${e.remote}${e.socketPath}` : e.url;
}

const GATEWAY_NAME = /^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$/;

/** A registration name from a host: `root@Build-Box.example:2222` → `build-box-example`. */
export function nameFromHost(host: string): string {
  const base = host.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48).replace(/-+$/, '');
  return base === '' || base === 'local' ? 'remote' : base;
}

export const LOCAL_GATEWAY: GatewayEntry = { name: 'local', kind: 'local' };

interface Store {
  active?: string;
  gateways: Record<string, StoredEntry>;
}

/** Where a command's gateway came from, for `gateway list/info` and warnings. */
export type Source = 'flag' | 'env' | 'selected' | 'default';

/** Client-side gateway registrations in `conf` (OPENSHELL_CONFIG_DIR moves them, e.g. for tests). */
export class GatewayRegistry {
  private readonly conf: Conf<Store>;

  constructor(dir = process.env.OPENSHELL_CONFIG_DIR) {
    this.conf = new Conf<Store>({
      projectName: 'openshell',
      // ~/.config/openshell/gateways.json, beside upstream's files, not conf's default `openshell-nodejs`.
      projectSuffix: '',
      configName: 'gateways',
      defaults: { gateways: {} },
      ...(dir === undefined || dir === '' ? {} : { cwd: dir }),
    });
  }

  get path(): string {
    return this.conf.path;
  }

  list(): GatewayEntry[] {
    return [LOCAL_GATEWAY, ...Object.values(this.conf.get('gateways')).sort((a, b) => a.name.localeCompare(b.name))];
  }

  find(name: string): GatewayEntry | undefined {
    return name === LOCAL_GATEWAY.name ? LOCAL_GATEWAY : this.conf.get('gateways')[name];
  }

  get(name: string): GatewayEntry {
    const entry = this.find(name);
    if (!entry) {
      throw new NotFoundError(`gateway \`${name}\` is not registered`, {
        exitCode: 2,
        hint: `see \`openshell gateway list\`; register one with \`openshell gateway start --remote user@host --name ${name}\``,
      });
    }
    return entry;
  }

  /** Adds or replaces a remote (SSH) registration. */
  add(entry: Omit<RemoteEntry, 'createdAt' | 'kind'>): RemoteEntry {
    return this.store({ ...entry, kind: 'ssh', createdAt: new Date().toISOString() });
  }

  /** Adds or replaces a served-gateway registration (its token lives apart, see `core/gateway/http/credentials.ts`). */
  addHttps(entry: Omit<HttpsEntry, 'createdAt' | 'kind'>): HttpsEntry {
    return this.store({ ...entry, kind: 'https', createdAt: new Date().toISOString() });
  }

  private store<E extends StoredEntry>(full: E): E {
    if (full.name === LOCAL_GATEWAY.name) throw new UsageError('`local` is the built-in gateway', 'pick another --name');
    if (!GATEWAY_NAME.test(full.name)) {
      throw new UsageError(`invalid gateway name \`${full.name}\``, 'use 1-48 lower-case letters, digits and dashes');
    }
    this.conf.set('gateways', { ...this.conf.get('gateways'), [full.name]: full });
    return full;
  }

  remove(name: string): void {
    if (name === LOCAL_GATEWAY.name) throw new UsageError('the built-in `local` gateway cannot be removed');
    this.get(name);
    const { [name]: _gone, ...rest } = this.conf.get('gateways');
    this.conf.set('gateways', rest);
    if (this.conf.get('active') === name) this.conf.delete('active');
  }

  select(name: string): void {
    this.get(name);
    this.conf.set('active', name);
  }

  /** The stored active gateway (`local` when none is, or when it was removed behind our back). */
  selected(): string {
    const active = this.conf.get('active');
    return active !== undefined && this.find(active) ? active : LOCAL_GATEWAY.name;
  }

  /** Resolution order: `-g/--gateway`, then OPENSHELL_GATEWAY, then the selected one, then `local`. */
  resolve(flag?: string, env = process.env.OPENSHELL_GATEWAY): { entry: GatewayEntry; source: Source } {
    if (flag) return { entry: this.get(flag), source: 'flag' };
    if (env) return { entry: this.get(env), source: 'env' };
    const active = this.conf.get('active');
    if (active !== undefined && this.find(active)) return { entry: this.get(active), source: 'selected' };
    return { entry: LOCAL_GATEWAY, source: 'default' };
  }
}
