import { isIP } from 'node:net';
import { parseCidr, type Cidr } from '../policy/cidr.ts';

/**
 * Where an address points, for the destination guard (upstream §2.4): `blocked` is never dialed,
 * `internal` only when the rule declares the exact host or its `allowed_ips` cover the address.
 */
export type AddressClass =
  | { readonly kind: 'blocked'; readonly label: string }
  | { readonly kind: 'internal'; readonly label: string }
  | { readonly kind: 'public' };

const BLOCKED: readonly [string, string][] = [
  ['127.0.0.0/8', 'loopback'],
  ['169.254.169.254/32', 'cloud metadata'],
  ['169.254.0.0/16', 'link-local'],
  ['0.0.0.0/8', 'unspecified'],
  ['255.255.255.255/32', 'broadcast'],
  ['224.0.0.0/4', 'multicast'],
  ['100.100.100.200/32', 'cloud metadata'],
  ['::1/128', 'loopback'],
  ['::/128', 'unspecified'],
  ['fe80::/10', 'link-local'],
  ['fd00:ec2::254/128', 'cloud metadata'],
  ['ff00::/8', 'multicast'],
];

const INTERNAL: readonly [string, string][] = [
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'TEST-NET-1'],
  ['198.51.100.0/24', 'TEST-NET-2'],
  ['203.0.113.0/24', 'TEST-NET-3'],
  ['198.18.0.0/15', 'benchmarking'],
  ['240.0.0.0/4', 'reserved'],
  ['fc00::/7', 'unique local (ULA)'],
  ['fec0::/10', 'site-local'],
  ['2001:db8::/32', 'documentation'],
  ['100::/64', 'discard-only'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
];

const compile = (list: readonly [string, string][]): { cidr: Cidr; label: string }[] =>
  list.map(([c, label]) => ({ cidr: parseCidr(c)!, label }));
const BLOCKED_C = compile(BLOCKED);
const INTERNAL_C = compile(INTERNAL);

/** Host names of metadata services; refused before any lookup. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal']);

export function isMetadataHost(host: string): boolean {
  return METADATA_HOSTS.has(host.toLowerCase().replace(/\.$/, ''));
}

/** `::ffff:a.b.c.d` (and the hex spelling `::ffff:7f00:1`) → `a.b.c.d`; other addresses unchanged. */
export function unmapV4(ip: string): string {
  const lower = ip.toLowerCase();
  if (isIP(lower) !== 6) return ip;
  const c = parseCidr(lower);
  if (!c) return ip;
  if (c.base >> 32n !== 0xffffn) return ip;
  const v = Number(c.base & 0xffffffffn);
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

export function addressToCidr(ip: string): Cidr | null {
  return isIP(ip) ? parseCidr(ip) : null;
}

export function cidrContains(range: Cidr, addr: Cidr): boolean {
  if (range.family !== addr.family) return false;
  const shift = BigInt((range.family === 4 ? 32 : 128) - range.bits);
  return range.base >> shift === addr.base >> shift;
}

/**
 * Answers of pure functions of an address, kept for the addresses seen lately: an agent dials the same
 * few again and again, and the bigint arithmetic behind an answer cost a few % of the proxy's CPU per
 * new connection. Emptied when full, so it stays small whatever is dialed.
 */
class Memo<T> {
  private readonly answers = new Map<string, T>();
  constructor(private readonly max: number) {}
  get(key: string, compute: () => T): T {
    let v = this.answers.get(key);
    if (v === undefined) {
      if (this.answers.size >= this.max) this.answers.clear();
      v = compute();
      this.answers.set(key, v);
    }
    return v;
  }
}
const classes = new Memo<AddressClass>(4096);
const ranges = new Memo<Cidr | null>(4096);

/** Classifies an IP literal; IPv4-mapped IPv6 is judged as the IPv4 address it carries. */
export function classifyAddress(ip: string): AddressClass {
  return classes.get(ip, () => classifyNow(ip));
}

function classifyNow(ip: string): AddressClass {
  const addr = addressToCidr(unmapV4(ip));
  if (!addr) return { kind: 'blocked', label: 'not an IP address' };
  for (const b of BLOCKED_C) if (cidrContains(b.cidr, addr)) return { kind: 'blocked', label: b.label };
  for (const p of INTERNAL_C) if (cidrContains(p.cidr, addr)) return { kind: 'internal', label: p.label };
  return { kind: 'public' };
}

/** Whether one of the rule's `allowed_ips` covers the address (mapped addresses compared as IPv4). */
export function coveredBy(allowedIps: readonly string[], ip: string): boolean {
  if (allowedIps.length === 0) return false;
  const addr = addressToCidr(unmapV4(ip));
  if (!addr) return false;
  return allowedIps.some((text) => {
    const range = ranges.get(text, () => parseCidr(text));
    return range !== null && cidrContains(range, addr);
  });
}
