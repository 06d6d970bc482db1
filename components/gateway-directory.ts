import type { Gateway } from '../core/gateway/types.ts';

/** One registered gateway as the Gateways dialog lists it. */
export interface GatewayListing {
  readonly name: string;
  readonly kind: 'local' | 'ssh' | 'https';
  /** Where it runs: `unix:///var/run/docker.sock`, `ssh://me@box/var/run/docker.sock`. */
  readonly location: string;
  /** The registry's selected gateway: what a plain `openshell` command talks to. */
  readonly selected: boolean;
  /** Served (https) gateways only: whether this client holds a token for it (`openshell gateway login`). */
  readonly auth?: 'signed in' | 'expired' | 'signed out';
}

/** How a connection reports progress and asks about an unknown SSH host key or TLS certificate (on the TUI, not stdin). */
export interface Connecting {
  progress(message: string): void;
  /** `type` is the SSH key type, or `TLS certificate` for a served gateway's self-signed certificate. */
  trustHostKey(key: { readonly host: string; readonly type: string; readonly fingerprint: string }): Promise<boolean>;
}

/**
 * The gateway registry as the TUI may use it; built in src/tui/ from the registry, so components never
 * touch configuration files or SSH.
 */
export interface GatewayDirectory {
  list(): GatewayListing[];
  /** A gateway object for a registered name; the directory closes the one it opened before. */
  open(name: string, how: Connecting): Gateway;
  /** Makes `name` the default for later commands (`openshell gateway select`). */
  select(name: string): void;
  /**
   * `gateway start --remote TARGET` (SSH) or `gateway add https://…` (trust, sign in): resolves with the
   * new entry. Aborting `signal` stops a sign-in that waits for a browser or an operator.
   */
  add(target: string, how: Connecting, signal?: AbortSignal): Promise<GatewayListing>;
  /** Forgets a remote registration (`local` cannot be removed). */
  remove(name: string): void;
}

/** A session with no registry behind it (tests, benchmarks): only the gateway it was given. */
export function singleGateway(gateway: Gateway): GatewayDirectory {
  const refuse = (): never => {
    throw new Error('this session has no gateway registry');
  };
  return {
    list: () => [{ name: gateway.name, kind: 'local', location: gateway.location, selected: true }],
    open: (name) => (name === gateway.name ? gateway : refuse()),
    select: () => undefined,
    add: () => Promise.resolve().then(refuse),
    remove: refuse,
  };
}
