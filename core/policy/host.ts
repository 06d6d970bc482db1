import { isIP } from 'node:net';

/** Lower-case, no trailing dot, no IPv6 brackets: the form hosts are compared in. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h;
}

export function isWildcardHost(host: string): boolean {
  return host.includes('*');
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;
const FIRST_LABEL_GLOB = /^[a-z0-9_*-]+$/;

/** Why a policy `host` is unacceptable, with a suggestion, or null when it is fine. */
export function hostProblem(raw: string): { message: string; suggestion?: string } | null {
  const host = normalizeHost(raw);
  if (isIP(host)) return null;
  if (host === '*' || host === '**')
    return { message: `host \`${raw}\` would match every host`, suggestion: 'name the hosts, or use `allowed_ips` for a range' };
  const labels = host.split('.');
  if (labels.some((l) => l === '')) return { message: `host \`${raw}\` has an empty label` };
  if (labels.length > 127 || host.length > 253) return { message: `host \`${raw}\` is too long` };
  let literalSuffix = 0;
  for (let i = labels.length - 1; i >= 0 && !labels[i]!.includes('*'); i--) literalSuffix++;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!l.includes('*')) {
      if (!LABEL.test(l)) return { message: `host \`${raw}\`: label \`${l}\` has characters a host name cannot have` };
      continue;
    }
    const badWildcard = i === 0 ? !FIRST_LABEL_GLOB.test(l) || (l.includes('**') && l !== '**') : l !== '*' && l !== '**';
    if (badWildcard)
      return {
        message: `host \`${raw}\`: a wildcard may be a whole label, or part of the first label only`,
        suggestion: 'write `*` for one label or `**` for several, e.g. `*.example.com`',
      };
  }
  if (literalSuffix < 2)
    return {
      message: `host \`${raw}\` is too broad: a wildcard needs at least two fixed labels after it`,
      suggestion: 'e.g. `*.example.com` rather than `*.com`',
    };
  return null;
}
