import { isIP } from 'node:net';

/** Request-head checks that Node's HTTP parser leaves to us: proxy targets, size limits, hop-by-hop headers. */

export interface ProxyRequest {
  readonly method: string;
  readonly target: string;
  readonly host: string;
  readonly port: number;
}

export interface HeadError {
  readonly error: string;
  /** 400 unless the head is too large (431). */
  readonly status?: 400 | 431;
}

/** Upstream's limit for CONNECT heads; plain-HTTP heads may use the parser's 16 KiB. */
export const MAX_CONNECT_HEAD = 8 * 1024;
export const MAX_HTTP_HEAD = 16 * 1024;

const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/;

function validPort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** `host:port` or `[v6]:port`; the host must be a DNS name or an IP literal. */
export function parseConnectTarget(target: string): { host: string; port: number } | HeadError {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([^:]*)$/.exec(target);
  if (!m) return { error: `CONNECT target must be host:port, got \`${printable(target)}\`` };
  const v6 = m[1];
  const host = (v6 ?? m[2]!).toLowerCase();
  if (v6 !== undefined && isIP(v6) !== 6) return { error: `\`${printable(v6)}\` is not an IPv6 address` };
  if (v6 === undefined && !isIP(host) && (host.length > 253 || !HOST_NAME.test(host)))
    return { error: `\`${printable(host)}\` is not a valid host name` };
  const port = validPort(m[3]!);
  if (port === null) return { error: `CONNECT port \`${printable(m[3]!)}\` is not 1–65535` };
  return { host: host.endsWith('.') ? host.slice(0, -1) : host, port };
}

/** Parses the request line of a proxy request: CONNECT host:port or absolute-form http://host/…. */
export function parseRequestLine(line: string): ProxyRequest | HeadError {
  const [method, target, ...rest] = line.split(' ');
  if (!method || !target || rest.length > 1) return { error: 'malformed request line' };
  if (method === 'CONNECT') {
    const t = parseConnectTarget(target);
    return 'error' in t ? t : { method, target, ...t };
  }
  if (/^https:\/\//i.test(target)) return { error: 'Use CONNECT for HTTPS URLs' };
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { error: 'proxy requests must use absolute-form http:// URLs or CONNECT' };
  }
  if (url.protocol !== 'http:' || !/^http:\/\//i.test(target)) return { error: `unsupported proxy target \`${printable(target)}\`` };
  if (url.username || url.password) return { error: 'credentials in the proxy URL are not forwarded' };
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { error: 'the URL has no host' };
  const port = url.port === '' ? 80 : validPort(url.port);
  if (port === null) return { error: `port \`${url.port}\` is not 1–65535` };
  return { method, target, host, port };
}

/** The origin-form request target (`/path?query`) sent upstream in place of the absolute URL. */
export function originForm(target: string): string {
  const url = new URL(target);
  return `${url.pathname || '/'}${url.search}`;
}

/** Size of the head as received: request line plus every header line. */
export function headSize(method: string, target: string, rawHeaders: readonly string[]): number {
  let n = method.length + target.length + 12;
  for (let i = 0; i < rawHeaders.length; i += 2) n += rawHeaders[i]!.length + (rawHeaders[i + 1]?.length ?? 0) + 4;
  return n + 2;
}

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** Raw header pairs minus hop-by-hop ones (and any the `Connection` header names), case preserved. */
export function endToEndHeaders(rawHeaders: readonly string[]): string[] {
  const named = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.toLowerCase() === 'connection')
      for (const t of rawHeaders[i + 1]!.split(',')) named.add(t.trim().toLowerCase());
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const k = rawHeaders[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(k) && !named.has(k)) out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return out;
}

/** Safe to echo back in an error body. */
function printable(s: string): string {
  const cut = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return cut.replace(/[^\x20-\x7e]/g, '?');
}
