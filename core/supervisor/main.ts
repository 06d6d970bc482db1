// Entry point of the supervisor container: fence first, then policy, then the proxy; any failure exits non-zero.
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { installFence } from './fence.ts';
import { startProxy } from './proxy.ts';
import { addressDialer } from './dial.ts';
import { Enforcer } from './enforcer.ts';
import { EventSink } from './events.ts';
import { FlowRegistry } from './flows.ts';
import { Identifier } from './identity.ts';
import { PolicyWatcher } from './policy-watch.ts';
import { SockDiag } from './sockdiag.ts';
import { sandboxStages } from './l7/placeholders-tunnel.ts';
import { TlsAuthority, UPSTREAM_CA_FILE } from './tls/authority.ts';
import { watchStateFile } from './file-watch.ts';
import { TofuCache, realIo } from './tofu.ts';
import { fileTofuStore } from './tofu-store.ts';
import { InferenceEndpoint } from './inference/endpoint.ts';
import { SpliceHelper } from './splice/splice-helper.ts';

const STATE_DIR = process.env.OPENSHELL_STATE_DIR ?? '/var/lib/openshell';
const LISTEN = { host: '127.0.0.1', port: 3128 };

async function main(): Promise<void> {
  const events = new EventSink({ dir: STATE_DIR, sandbox: process.env.OPENSHELL_SANDBOX_NAME ?? '' });
  // Installed by the boot script already: check it after the proxy listens (a missing fence is fatal
  // either way); started any other way, install it before serving anything.
  const fenced = process.env.OPENSHELL_FENCED === '1';
  if (!fenced) events.line({ type: 'fence', ...installFence() });
  const flows = new FlowRegistry();
  const enforcer = new Enforcer(STATE_DIR, events, flows);
  // The first load is synchronous: no request is ever decided before the policy on disk is known.
  const watcher = new PolicyWatcher(STATE_DIR, (change) => enforcer.apply(change));
  watcher.start();
  const diag = new SockDiag();
  // First-seen hashes live on the state volume: a binary swapped while the supervisor was down is caught.
  const tofu = new TofuCache(realIo, fileTofuStore(STATE_DIR, (error) => events.line({ type: 'tofu', status: 'failed', error })));
  const identifier = new Identifier(undefined, tofu, process.pid, diag);
  const tls = new TlsAuthority(STATE_DIR);
  // `gateway start --upstream-ca` rewrites upstream-ca.pem in running sandboxes: new upstream connections use it.
  const stopCaWatch = watchStateFile(STATE_DIR, UPSTREAM_CA_FILE, 1000, () => {
    const count = tls.refreshUpstream();
    if (count !== null) events.line({ type: 'upstream-ca', status: 'loaded', certificates: count });
  });
  // The privacy router (inference.local): its configuration arrives as inference.json, like policy.json.
  const inference = new InferenceEndpoint({ stateDir: STATE_DIR, tls, events });
  inference.start();
  // Bulk tunnels move to splice(2) once the helper answers; until then (or without it) Node relays them.
  let splice: SpliceHelper | null = null;
  void SpliceHelper.start().then((helper) => {
    splice = helper;
    events.line({ type: 'splice', status: helper ? 'ready' : 'unavailable' });
  });
  const server = await startProxy(LISTEN, {
    enforcer,
    events,
    flows,
    identify: (peer, proxy) => identifier.identify(peer, proxy),
    watchHolders: (id, onShared) => identifier.watchHolders(id, onShared),
    resolve: async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address),
    dial: addressDialer(),
    // REST/WebSocket endpoints: TLS terminated with the sandbox CA and each request decided.
    // With providers, every TLS/HTTP tunnel is inspected so credential placeholders are resolved or refused.
    ...sandboxStages(STATE_DIR, { tls, enforcer, events }),
    inference,
    get splice() {
      return splice;
    },
  });
  events.line({ type: 'ready', proxy: `${LISTEN.host}:${LISTEN.port}`, policyVersion: enforcer.version ?? null });
  if (fenced) {
    setImmediate(() => {
      try {
        events.line({ type: 'fence', ...installFence() });
      } catch (err) {
        fatal(err);
      }
    });
  }
  // Warms the netlink helper and says which socket lookup is in use (netlink, or the slow /proc/net/tcp).
  // `inProcess`: on the netlink socket the launcher left open (boot.ts), not through the helper process.
  void selfCheck(diag).then((method) => events.line({ type: 'identity', method, inProcess: method === 'netlink' && diag.inProcess }));
  const shutdown = (): void => {
    watcher.stop();
    stopCaWatch();
    inference.stop();
    splice?.stop();
    server.close();
    events.line({ type: 'stopping' });
    events.close();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

async function selfCheck(diag: SockDiag): Promise<'netlink' | 'procfs'> {
  const socket = connect(LISTEN.port, LISTEN.host);
  try {
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const found = await diag.lookup({ ip: LISTEN.host, port: socket.localPort ?? 0 }, { ip: LISTEN.host, port: LISTEN.port });
    return found ? 'netlink' : 'procfs';
  } catch {
    return 'procfs';
  } finally {
    socket.destroy();
  }
}

function fatal(err: unknown): never {
  process.stdout.write(JSON.stringify({ type: 'fatal', time: new Date().toISOString(), message: err instanceof Error ? err.message : String(err) }) + '\n');
  process.exit(1);
}

main().catch(fatal);
