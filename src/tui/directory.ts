import { describeEndpoint, LOCAL_ENDPOINT } from '../../core/docker/client.ts';
import { UsageError } from '../../core/errors.ts';
import { deleteCredential, readCredential } from '../../core/gateway/http/credentials.ts';
import { addServed } from './add-served.ts';
import { servedGateway } from '../connect.ts';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { GatewayRegistry, nameFromHost, remoteLocation, type GatewayEntry, type RemoteEntry } from '../../core/gateway/registry.ts';
import type { Gateway } from '../../core/gateway/types.ts';
import { RemoteGateway } from '../../core/ssh/gateway.ts';
import { parseTarget } from '../../core/ssh/target.ts';
import type { Connecting, GatewayDirectory, GatewayListing } from '../../components/gateway-directory.ts';

/** Same default as `gateway start --remote --socket`. */
const REMOTE_DOCKER_SOCKET = '/var/run/docker.sock';

const locationOf = (e: GatewayEntry): string => (e.kind === 'local' ? describeEndpoint(LOCAL_ENDPOINT) : remoteLocation(e));

/** Whether this client holds a usable token for a served gateway (read here, so components stay free of I/O). */
function authOf(e: GatewayEntry): Pick<GatewayListing, 'auth'> {
  if (e.kind !== 'https') return {};
  const cred = readCredential(e.name, e.url);
  if (!cred) return { auth: 'signed out' };
  const expired = cred.expiresAt !== undefined && Date.parse(cred.expiresAt) <= Date.now();
  return { auth: expired ? 'expired' : 'signed in' };
}

/** A remote gateway whose notices and host-key questions go to the TUI instead of stderr and stdin. */
function remoteGateway(entry: RemoteEntry, how: Connecting): RemoteGateway {
  const gateway = new RemoteGateway(entry, { acceptHostKey: (k) => how.trustHostKey(k) });
  gateway.events.on('gateway.notice', (e) => how.progress(`gateway ${entry.name}: ${e.message}`));
  return gateway;
}

export interface DirectoryOptions {
  /** How a registered entry becomes a Gateway (tests point names at the local engine). */
  readonly connect?: (entry: GatewayEntry, how: Connecting) => Gateway;
  /** The gateway the TUI starts on, closed like any other when switched away from. */
  readonly current?: Gateway;
}

/** The registry (OPENSHELL_CONFIG_DIR moves it) plus `openGateway`-style construction, for the TUI. */
export function gatewayDirectory(registry = new GatewayRegistry(), opts: DirectoryOptions = {}): GatewayDirectory {
  const connect =
    opts.connect ??
    ((entry, how) => {
      if (entry.kind === 'local') return new EmbeddedGateway('local');
      if (entry.kind === 'ssh') return remoteGateway(entry, how);
      return servedGateway(entry, (m) => how.progress(m));
    });
  let opened = opts.current;
  const listing = (e: GatewayEntry): GatewayListing => ({ name: e.name, kind: e.kind, location: locationOf(e), selected: registry.selected() === e.name, ...authOf(e) });
  return {
    list: () => registry.list().map(listing),
    open(name, how) {
      const next = connect(registry.get(name), how);
      // One SSH connection at a time: the gateway switched away from is not watched any more.
      if (opened !== undefined && 'close' in opened && typeof opened.close === 'function') (opened as { close(): void }).close();
      opened = next;
      return next;
    },
    select: (name) => registry.select(name),
    async add(target, how, signal) {
      if (/^https?:\/\//i.test(target)) return listing(await addServed(registry, target, how, signal));
      const t = parseTarget(target);
      const entry: RemoteEntry = { kind: 'ssh', name: nameFromHost(t.host), remote: target, socketPath: REMOTE_DOCKER_SOCKET, createdAt: new Date().toISOString() };
      if (registry.find(entry.name)) throw new UsageError(`a gateway named \`${entry.name}\` is already registered`, 'remove it first with x');
      const gateway = remoteGateway(entry, how);
      // Esc while connecting drops the SSH connection; the start fails and nothing is registered.
      const onAbort = (): void => gateway.close();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await gateway.start({ progress: (m) => how.progress(`gateway ${entry.name}: ${m}`) });
        signal?.throwIfAborted();
        return listing(registry.add(entry));
      } finally {
        signal?.removeEventListener('abort', onAbort);
        gateway.close();
      }
    },
    remove: (name) => {
      registry.remove(name);
      // A served gateway's token goes with its registration (as `openshell gateway remove`).
      deleteCredential(name);
    },
  };
}
