import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * The iptables fence of the pod's network namespace: loopback (except Docker's DNS at 127.0.0.11),
 * uid 0 (the supervisor) and established flows pass; every other packet is rejected at once
 * (TCP reset, ICMP unreachable for the rest), so the agent's only way out is the proxy.
 */
export function fenceRules(family: 4 | 6): string {
  const lines = ['*filter', ':OUTPUT ACCEPT [0:0]', '-A OUTPUT -m owner --uid-owner 0 -j ACCEPT'];
  if (family === 4) {
    lines.push('-A OUTPUT -d 127.0.0.11/32 -p tcp -j REJECT --reject-with tcp-reset');
    lines.push('-A OUTPUT -d 127.0.0.11/32 -j REJECT --reject-with icmp-port-unreachable');
  }
  const unreachable = family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable';
  lines.push(
    '-A OUTPUT -o lo -j ACCEPT',
    '-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    '-A OUTPUT -p tcp -j REJECT --reject-with tcp-reset',
    `-A OUTPUT -j REJECT --reject-with ${unreachable}`,
    'COMMIT',
    '',
  );
  return lines.join('\n');
}

function ipv6Present(): boolean {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8').trim().length > 0;
  } catch {
    return false;
  }
}

export interface FenceResult {
  readonly ipv4: 'installed';
  readonly ipv6: 'installed' | 'no-ipv6';
}

/** The IPv4 fence is in place: its final REJECT rules are listed. */
export function fenceInstalled(): boolean {
  try {
    const listed = execFileSync('iptables', ['-S', 'OUTPUT'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return listed.includes('--uid-owner 0') && listed.includes('REJECT');
  } catch {
    return false;
  }
}

/**
 * Makes sure the fence is in place (the boot script normally installed it) or throws: the supervisor
 * must not serve without it (fail closed).
 */
export function installFence(): FenceResult {
  if (!fenceInstalled()) execFileSync('iptables-restore', [], { input: fenceRules(4), stdio: ['pipe', 'pipe', 'pipe'] });
  let ipv6: FenceResult['ipv6'] = 'no-ipv6';
  try {
    const listed = execFileSync('ip6tables', ['-S', 'OUTPUT'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (!listed.includes('REJECT')) execFileSync('ip6tables-restore', [], { input: fenceRules(6), stdio: ['pipe', 'pipe', 'pipe'] });
    ipv6 = 'installed';
  } catch (err) {
    if (ipv6Present()) throw err;
  }
  if (!fenceInstalled()) throw new Error('iptables fence did not install');
  return { ipv4: 'installed', ipv6 };
}
