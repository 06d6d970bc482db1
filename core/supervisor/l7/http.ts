import type { Header } from './types.ts';

/**
 * A strict HTTP/1.1 message-head parser and body framer (RFC 9112). Strict because the proxy and the
 * upstream must agree on where each request ends: anything two parsers could read differently (both
 * Content-Length and Transfer-Encoding, repeated lengths, bare LF, obs-fold, odd chunk sizes) is refused.
 * Node's own parser is not used: it cannot be fed a decrypted stream and handed back raw bytes reliably.
 */

export const MAX_HEAD = 16 * 1024;

export type Framing = { readonly kind: 'none' } | { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' } | { readonly kind: 'close' };

export interface MessageHead {
  readonly headers: readonly Header[];
  readonly framing: Framing;
  /** The connection stays open after this message (HTTP/1.1 default, `Connection: close` / 1.0 rules). */
  readonly keepAlive: boolean;
  readonly version: '1.0' | '1.1';
}

export interface RequestHead extends MessageHead {
  readonly method: string;
  readonly target: string;
  /** The Host header (null for HTTP/1.0 without one). */
  readonly host: string | null;
  /** `Upgrade: websocket` with `Connection: upgrade`. */
  readonly websocket: boolean;
}

export interface ResponseHead extends MessageHead {
  readonly status: number;
}

export interface HeadError {
  readonly error: string;
  readonly status: 400 | 431 | 501 | 502;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const TARGET = /^[\x21-\x7e]+$/;

/**
 * Where the head ends (index just past the blank line), -1 if more bytes are needed, or an error for a
 * bare LF / bare CR or an oversized head. `from`: a line start before which every line was checked.
 */
export function findHeadEnd(buf: Buffer, max = MAX_HEAD, from = 0): number | HeadError {
  const tooLarge: HeadError = { error: `the message head exceeds ${max} bytes`, status: 431 };
  let lineStart = from;
  for (let i = from; i < buf.length; i++) {
    const b = buf[i];
    if (b === 10) return { error: 'a line ends with a bare LF', status: 400 };
    if (b !== 13) continue;
    if (i + 1 >= buf.length) break;
    if (buf[i + 1] !== 10) return { error: 'a bare CR in the message head', status: 400 };
    if (i === lineStart) return lineStart === 0 ? { error: 'an empty line before the message', status: 400 } : i + 2;
    lineStart = ++i + 1;
    if (lineStart > max) return tooLarge;
  }
  return buf.length > max ? tooLarge : -1;
}

function parseHeaders(lines: readonly string[]): Header[] | HeadError {
  const out: Header[] = [];
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) return { error: 'obsolete line folding in a header', status: 400 };
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name)) return { error: `malformed header line \`${printable(line)}\``, status: 400 };
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (BAD_VALUE.test(value)) return { error: `a control character in header \`${name}\``, status: 400 };
    out.push([name, value]);
  }
  return out;
}

const all = (headers: readonly Header[], name: string): string[] => headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
const tokens = (values: readonly string[]): string[] => values.flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean);

/** Body framing from Content-Length / Transfer-Encoding; both, repeats, or a non-chunked coding are refused. */
function framingOf(headers: readonly Header[], version: '1.0' | '1.1', isRequest: boolean): Framing | HeadError {
  const te = all(headers, 'transfer-encoding');
  const cl = all(headers, 'content-length');
  if (te.length > 0 && cl.length > 0) return { error: 'both Content-Length and Transfer-Encoding', status: 400 };
  if (te.length > 0) {
    if (version === '1.0') return { error: 'Transfer-Encoding in an HTTP/1.0 message', status: 400 };
    const codings = tokens(te);
    if (te.length > 1 || codings.length !== 1 || codings[0] !== 'chunked')
      return isRequest ? { error: `unsupported Transfer-Encoding \`${printable(te.join(', '))}\``, status: 501 } : { kind: 'close' };
    return { kind: 'chunked' };
  }
  if (cl.length > 1) return { error: 'more than one Content-Length', status: 400 };
  if (cl.length === 1) {
    if (!/^\d{1,15}$/.test(cl[0]!)) return { error: `invalid Content-Length \`${printable(cl[0]!)}\``, status: 400 };
    const length = Number(cl[0]);
    return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  }
  return isRequest ? { kind: 'none' } : { kind: 'close' };
}

function keepAliveOf(headers: readonly Header[], version: '1.0' | '1.1'): boolean {
  const conn = tokens(all(headers, 'connection'));
  return version === '1.1' ? !conn.includes('close') : conn.includes('keep-alive');
}

function split(head: Buffer): { first: string; lines: string[] } {
  // latin1 keeps every byte as one char, so nothing is hidden by decoding.
  const lines = head.toString('latin1').split('\r\n');
  lines.length -= 2;
  return { first: lines[0] ?? '', lines: lines.slice(1) };
}

/** A request head (the bytes up to and including the blank line). */
export function parseRequestHead(head: Buffer): RequestHead | HeadError {
  const { first, lines } = split(head);
  const m = /^([^ ]+) ([^ ]+) HTTP\/1\.([01])$/.exec(first);
  if (!m) return { error: `malformed request line \`${printable(first)}\``, status: 400 };
  const [, method, target, minor] = m as unknown as [string, string, string, string];
  if (!TOKEN.test(method)) return { error: `invalid method \`${printable(method)}\``, status: 400 };
  if (!TARGET.test(target)) return { error: 'invalid characters in the request target', status: 400 };
  const version = minor === '1' ? '1.1' : '1.0';
  const headers = parseHeaders(lines);
  if ('error' in headers) return headers;
  const hosts = all(headers, 'host');
  if (hosts.length > 1) return { error: 'more than one Host header', status: 400 };
  if (version === '1.1' && hosts.length === 0) return { error: 'no Host header', status: 400 };
  const framing = framingOf(headers, version, true);
  if ('error' in framing) return framing;
  const websocket = all(headers, 'upgrade').some((v) => v.toLowerCase() === 'websocket') && tokens(all(headers, 'connection')).includes('upgrade');
  return { method, target, version, headers, framing, keepAlive: keepAliveOf(headers, version), host: hosts[0] ?? null, websocket };
}

/** A response head; `requestMethod` decides whether a body follows (HEAD, 1xx, 204, 304 have none). */
export function parseResponseHead(head: Buffer, requestMethod: string): ResponseHead | HeadError {
  const { first, lines } = split(head);
  const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(first);
  if (!m) return { error: `malformed status line from the upstream \`${printable(first)}\``, status: 502 };
  const version = m[1] === '1' ? '1.1' : '1.0';
  const status = Number(m[2]);
  const headers = parseHeaders(lines);
  if ('error' in headers) return { error: `upstream response: ${headers.error}`, status: 502 };
  const noBody = requestMethod === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304;
  const framing = noBody ? ({ kind: 'none' } as const) : framingOf(headers, version, false);
  if ('error' in framing) return { error: `upstream response: ${framing.error}`, status: 502 };
  return { status, version, headers, framing, keepAlive: framing.kind !== 'close' && keepAliveOf(headers, version) };
}

/** Serializes a head with CRLF line ends; header values were checked when parsed. */
export function serializeHead(first: string, headers: readonly Header[]): Buffer {
  let s = `${first}\r\n`;
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`;
  return Buffer.from(`${s}\r\n`, 'latin1');
}

export function printable(s: string): string {
  const cut = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return cut.replace(/[^\x20-\x7e]/g, '?');
}
