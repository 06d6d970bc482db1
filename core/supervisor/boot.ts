import { fenceRules } from './fence.ts';
import { DIAG_LAUNCHER, DIAG_LAUNCHER_ENV } from './sockdiag-fd.ts';

/**
 * V8 optimises a function once it has run through this much bytecode (default 132 KiB): a connection's
 * code runs once per connection, so by default it stays unoptimised for the first few hundred. Measured
 * on 2 cores, new-connection latency settles about 0.1 ms lower with an eighth of the default.
 */
const NODE = 'node --interrupt-budget=16384 /opt/openshell/supervisor.mjs';

/**
 * The supervisor container's entrypoint: install the fence from the shell first (tens of ms after start,
 * before Node.js has even loaded) and say so, then hand over to the supervisor. The agent may start as
 * soon as the `fence` line appears; the proxy's `ready` line follows while the agent boots.
 */
const SCRIPT = [
  'now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }',
  'fatal() { echo "{\\"type\\":\\"fatal\\",\\"time\\":\\"$(now)\\",\\"message\\":\\"$1\\"}"; exit 1; }',
  'printf "%s" "$OPENSHELL_FENCE_V4" | iptables-restore || fatal "installing the IPv4 fence failed"',
  // No IPv6 addresses means no IPv6 egress to fence; with addresses, a missing fence is fatal.
  'printf "%s" "$OPENSHELL_FENCE_V6" | ip6tables-restore 2>/dev/null || [ ! -s /proc/net/if_inet6 ] || fatal "installing the IPv6 fence failed"',
  'echo "{\\"type\\":\\"fence\\",\\"time\\":\\"$(now)\\"}"',
  // Tells the supervisor the fence is already in place, so it verifies it off the start-up path.
  // Through the launcher when python3 is there: Node then inherits a netlink socket for identity lookups.
  `command -v python3 >/dev/null 2>&1 && OPENSHELL_FENCED=1 exec python3 -I -S -c "$${DIAG_LAUNCHER_ENV}" ${NODE}`,
  `OPENSHELL_FENCED=1 exec ${NODE}`,
].join('\n');

export function supervisorEntrypoint(): { Entrypoint: string[]; Env: string[] } {
  return {
    Entrypoint: ['/bin/sh', '-c', SCRIPT],
    Env: [`OPENSHELL_FENCE_V4=${fenceRules(4)}`, `OPENSHELL_FENCE_V6=${fenceRules(6)}`, `${DIAG_LAUNCHER_ENV}=${DIAG_LAUNCHER}`],
  };
}
