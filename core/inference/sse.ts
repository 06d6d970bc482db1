/** Server-sent events, incrementally: chunks in, whole events out (WHATWG "event stream" parsing, minus ids and retry). */

export interface SseEvent {
  readonly event?: string;
  readonly data: string;
}

export class SseParser {
  private buffer = '';

  /** Events completed by this chunk. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (!m) break;
      const block = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const ev = parseBlock(block);
      if (ev) out.push(ev);
    }
    return out;
  }

  /** Bytes of an unfinished event (a stream that ended here was cut off). */
  get pending(): number {
    return this.buffer.length;
  }
}

function parseBlock(block: string): SseEvent | null {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0 && event === undefined) return null;
  return { ...(event === undefined ? {} : { event }), data: data.join('\n') };
}

export function formatSse(ev: SseEvent): string {
  const data = ev.data
    .split('\n')
    .map((l) => `data: ${l}`)
    .join('\n');
  return ev.event === undefined ? `${data}\n\n` : `event: ${ev.event}\n${data}\n\n`;
}
