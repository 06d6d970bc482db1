import { isIP } from 'node:net';
import type { EndpointInfo } from '../policy/index.ts';
import { classifyAddress, coveredBy, isMetadataHost } from './destination.ts';

/** The destination guard: runs after a policy allow, returns the only addresses that may be dialed. */

export type GuardResult =
  | { readonly ok: true; readonly addresses: readonly string[] }
  | { readonly ok: false; readonly detail: string; readonly ip?: string };

export type Resolver = (host: string) => Promise<readonly string[]>;

/** Kubernetes/etcd control-plane ports: refused on internal destinations even when declared (upstream). */
const CONTROL_PLANE_PORTS = new Set([2379, 2380, 6443, 10250, 10255]);

export async function guardDestination(host: string, port: number, endpoint: EndpointInfo, resolve: Resolver): Promise<GuardResult> {
  const where = `${host}:${port}`;
  if (isMetadataHost(host)) return { ok: false, detail: `CONNECT ${where} blocked: cloud metadata host` };
  let addresses: readonly string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      return { ok: false, detail: `CONNECT ${where} blocked: \`${host}\` does not resolve (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    }
    if (addresses.length === 0) return { ok: false, detail: `CONNECT ${where} blocked: \`${host}\` does not resolve` };
  }
  return judgeAddresses(host, port, endpoint, addresses);
}

/** The synchronous half: judges resolved addresses (also re-run on open tunnels when the policy changes). */
export function judgeAddresses(host: string, port: number, endpoint: EndpointInfo, addresses: readonly string[]): GuardResult {
  const where = `${host}:${port}`;
  // One bad answer refuses the whole name: a resolver mixing public and internal answers is a rebinding tell.
  for (const ip of addresses) {
    // A hostless endpoint is an address range: everything it reaches must be inside that range.
    if (endpoint.host === null && !coveredBy(endpoint.allowedIps, ip))
      return { ok: false, ip, detail: `CONNECT ${where} blocked: ${ip} is outside the rule's allowed_ips (allowed_ips check failed)` };
    const cls = classifyAddress(ip);
    if (cls.kind === 'public') continue;
    if (cls.kind === 'blocked') return { ok: false, ip, detail: `CONNECT ${where} blocked: internal address ${ip} (${cls.label}) is never allowed` };
    const declared = endpoint.exactHost && endpoint.host === host;
    const listed = coveredBy(endpoint.allowedIps, ip);
    if (!declared && !listed) {
      const why = endpoint.allowedIps.length > 0 ? 'allowed_ips check failed' : 'declared endpoint check failed';
      return {
        ok: false,
        ip,
        detail: `CONNECT ${where} blocked: internal address ${ip} (${cls.label}); ${why} — declare the exact host or list the address in allowed_ips`,
      };
    }
    if (CONTROL_PLANE_PORTS.has(port)) return { ok: false, ip, detail: `CONNECT ${where} blocked: control-plane port ${port} on internal address ${ip}` };
  }
  return { ok: true, addresses };
}
