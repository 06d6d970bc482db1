/** `/proc/net/tcp{,6}` rows: which socket (inode, uid) owns a given local/remote tuple. */

export interface TcpRow {
  readonly localIp: string;
  readonly localPort: number;
  readonly remoteIp: string;
  readonly remotePort: number;
  /** Kernel TCP state (1 = ESTABLISHED). */
  readonly state: number;
  readonly uid: number;
  readonly inode: number;
}

/** `0100007F` (little-endian words) → `127.0.0.1`; 32 hex digits → full IPv6, IPv4-mapped shown as `::ffff:a.b.c.d`. */
export function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    const n = parseInt(hex, 16);
    return `${n & 0xff}.${(n >>> 8) & 0xff}.${(n >>> 16) & 0xff}.${n >>> 24}`;
  }
  const bytes: number[] = [];
  // Each 32-bit word is in host (little-endian) order.
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return compressV6(groups);
}

/** RFC 5952: the longest run (≥ 2) of zero groups becomes `::`. */
function compressV6(groups: readonly string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function parseEndpoint(text: string): [string, number] | null {
  const [ip, port] = text.split(':');
  if (!ip || !port || (ip.length !== 8 && ip.length !== 32)) return null;
  return [decodeAddress(ip), parseInt(port, 16)];
}

/** Every parsable row; the header and malformed lines are skipped. */
export function parseProcNetTcp(text: string): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0]!)) continue;
    const local = parseEndpoint(f[1]!);
    const remote = parseEndpoint(f[2]!);
    if (!local || !remote) continue;
    rows.push({
      localIp: local[0],
      localPort: local[1],
      remoteIp: remote[0],
      remotePort: remote[1],
      state: parseInt(f[3]!, 16),
      uid: Number(f[7]),
      inode: Number(f[9]),
    });
  }
  return rows;
}

const unmap = (ip: string): string => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);

/**
 * The client-side socket of a proxy connection: local end = the peer we accepted, remote end = the proxy.
 * Returns null when no row matches (the client already closed) — the caller must then deny.
 */
export function findClientSocket(
  rows: readonly TcpRow[],
  peer: { ip: string; port: number },
  proxy: { ip: string; port: number },
): TcpRow | null {
  const peerIp = unmap(peer.ip);
  const proxyIp = unmap(proxy.ip);
  for (const r of rows) {
    if (r.localPort !== peer.port || r.remotePort !== proxy.port) continue;
    if (unmap(r.localIp) === peerIp && unmap(r.remoteIp) === proxyIp && r.inode !== 0) return r;
  }
  return null;
}
