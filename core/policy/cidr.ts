import { isIPv4, isIPv6 } from 'node:net';

/** An address range as a bigint prefix; IPv4 is kept in its own family. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly bits: number;
  readonly text: string;
}

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function v6ToBig(ip: string): bigint {
  let text = ip;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const v = v4ToBig(v4Tail[1]!);
    text = text.slice(0, -v4Tail[1]!.length) + `${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** Parse `a.b.c.d/n`, `x::/n` or a bare address; null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const [addr, len, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return null;
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return null;
  const bits = len === undefined ? max : Number(len);
  if (bits > max) return null;
  const value = family === 4 ? v4ToBig(addr) : v6ToBig(addr);
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(max - bits);
  return { family, base: value & mask, bits, text };
}

function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const max = a.family === 4 ? 32 : 128;
  const bits = Math.min(a.bits, b.bits);
  const shift = BigInt(max - bits);
  return a.base >> shift === b.base >> shift;
}

const ALWAYS_BLOCKED: readonly [string, string][] = [
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['0.0.0.0/32', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['::/128', 'unspecified'],
  ['::ffff:127.0.0.0/104', 'IPv4-mapped loopback'],
  ['::ffff:169.254.0.0/112', 'IPv4-mapped link-local'],
  ['::ffff:0.0.0.0/128', 'IPv4-mapped unspecified'],
];
const BLOCKED = ALWAYS_BLOCKED.map(([c, label]) => ({ cidr: parseCidr(c)!, label }));

/** The always-blocked range this CIDR touches (`loopback 127.0.0.0/8`), or null. */
export function blockedOverlap(c: Cidr): string | null {
  const hit = BLOCKED.find((b) => overlaps(c, b.cidr));
  return hit ? `${hit.label} ${hit.cidr.text}` : null;
}
