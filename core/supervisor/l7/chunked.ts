import type { HeadError } from './http.ts';

/**
 * Finds where a chunked body ends, checking every size line and delimiter on the way; the bytes
 * themselves are forwarded unchanged. A size the upstream could read differently is refused.
 */

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const SIZE_LINE = new RegExp(`^([0-9A-Fa-f]{1,13})(?:;${TOKEN}(?:=(?:${TOKEN}|"[^"\\\\\\x00-\\x1f]*"))?)*$`);
const TRAILER_LINE = new RegExp(`^${TOKEN}:[\\t\\x20-\\x7e\\x80-\\xff]*$`);
const MAX_LINE = 4096;
const MAX_TRAILERS = 16 * 1024;

type State = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer';

export class ChunkedFramer {
  private state: State = 'size';
  private line = '';
  private sawCr = false;
  private remaining = 0;
  private trailerBytes = 0;

  /** Consumes bytes of `buf` that belong to the body: how many, and whether the body is complete. */
  feed(buf: Buffer): { used: number; done: boolean } | HeadError {
    let i = 0;
    while (i < buf.length) {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, buf.length - i);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.state = 'data-cr';
        continue;
      }
      const b = buf[i++]!;
      if (this.state === 'data-cr' || this.state === 'data-lf') {
        if (b !== (this.state === 'data-cr' ? 13 : 10)) return { error: 'chunk data is not followed by CRLF', status: 400 };
        this.state = this.state === 'data-cr' ? 'data-lf' : 'size';
        continue;
      }
      // 'size' or 'trailer': collect one CRLF-terminated line.
      if (this.sawCr) {
        if (b !== 10) return { error: 'a bare CR in the chunked framing', status: 400 };
        this.sawCr = false;
        const done = this.endLine();
        if (typeof done !== 'boolean') return done;
        if (done) return { used: i, done: true };
        continue;
      }
      if (b === 13) this.sawCr = true;
      else if (b === 10) return { error: 'a bare LF in the chunked framing', status: 400 };
      else {
        this.line += String.fromCharCode(b);
        if (this.line.length > MAX_LINE) return { error: 'a chunk size or trailer line is too long', status: 400 };
      }
    }
    return { used: i, done: false };
  }

  /** True when the body is complete. */
  private endLine(): boolean | HeadError {
    const line = this.line;
    this.line = '';
    if (this.state === 'trailer') {
      if (line === '') return true;
      this.trailerBytes += line.length + 2;
      if (this.trailerBytes > MAX_TRAILERS) return { error: 'chunked trailers are too large', status: 400 };
      if (!TRAILER_LINE.test(line)) return { error: 'a malformed trailer line', status: 400 };
      return false;
    }
    const m = SIZE_LINE.exec(line);
    if (!m) return { error: `invalid chunk size line \`${line.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')}\``, status: 400 };
    const size = parseInt(m[1]!, 16);
    if (!Number.isSafeInteger(size)) return { error: 'the chunk size is too large', status: 400 };
    if (size === 0) this.state = 'trailer';
    else {
      this.remaining = size;
      this.state = 'data';
    }
    return false;
  }
}
