import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { streamRelay } from './translate-stream.ts';
import type { Protocol } from './types.ts';

/** Longest silence between two chunks of a streamed answer before the backend counts as dead. */
export const STREAM_IDLE_MS = 120_000;
/** Most bytes one streamed answer may carry (as for whole answers): a runaway backend cannot stream forever. */
export const MAX_STREAM_BYTES = 32 * 1024 * 1024;

export interface RelayOptions {
  readonly upstream: Protocol;
  readonly agent: Protocol;
  readonly model: string;
  readonly backend: string;
  readonly idleMs?: number | undefined;
  readonly maxBytes?: number | undefined;
}

export interface RelayResult {
  /** The backend sent its terminal event; false: it died, stalled, overflowed, or the agent left. */
  readonly complete: boolean;
  /** Why the router cut the stream itself: the backend fell silent, or sent too much. */
  readonly cut?: 'idle' | 'too_large';
  readonly usage: { readonly input?: number; readonly output?: number };
  readonly textChars: number;
}

/**
 * Streams an SSE answer to the agent chunk by chunk (translated when the protocols differ). A backend
 * that dies, falls silent for `idleMs`, or sends more than `maxBytes` is cut off: the agent gets an
 * error event in its protocol (saying which), then the stream ends.
 */
export function relayStream(up: IncomingMessage, res: ServerResponse, o: RelayOptions): Promise<RelayResult> {
  const relay = streamRelay(o.upstream, o.agent, o.model);
  const decoder = new StringDecoder('utf8');
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-inference-backend': o.backend });
  res.flushHeaders();
  return new Promise((resolve) => {
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    let received = 0;
    let cut: RelayResult['cut'];
    // Text after the last event boundary: held back, so a stream cut mid-event never hands the agent
    // half an event glued to our error event (a passed-through stream is forwarded as raw text).
    let held = '';
    const forward = (text: string): void => {
      const all = held + text;
      const end = lastBoundary(all);
      held = all.slice(end);
      if (end > 0) res.write(all.slice(0, end));
    };
    const stop = (why: NonNullable<RelayResult['cut']>): void => {
      cut = why;
      up.destroy();
      settle();
    };
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => stop('idle'), o.idleMs ?? STREAM_IDLE_MS);
    };
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      if (!res.writableEnded) {
        forward(relay.push(decoder.end()));
        // A complete stream's last bytes go out as they are; an incomplete one's unfinished event is dropped.
        if (relay.complete && held) res.write(held);
        if (!relay.complete) res.write(relay.errorEvent(cut === undefined ? 'upstream_error' : cut === 'idle' ? 'upstream_timeout' : 'response_too_large', cutMessage(o, cut)));
        res.end();
      }
      resolve({ complete: relay.complete, usage: relay.usage, textChars: relay.textChars, ...(cut === undefined ? {} : { cut }) });
    };
    arm();
    up.on('data', (c: Buffer) => {
      if (settled) return;
      received += c.length;
      if (received > (o.maxBytes ?? MAX_STREAM_BYTES)) return stop('too_large');
      arm();
      forward(relay.push(decoder.write(c)));
    });
    up.once('end', settle);
    up.once('close', settle);
    up.on('error', settle);
    // The agent left: stop reading the backend.
    res.once('close', () => {
      if (!settled) up.destroy();
    });
  });
}

function cutMessage(o: RelayOptions, cut: RelayResult['cut']): string {
  if (cut === 'idle') return `backend \`${o.backend}\` sent nothing for ${seconds(o.idleMs ?? STREAM_IDLE_MS)}: the stream was ended`;
  if (cut === 'too_large') return `backend \`${o.backend}\` streamed more than ${(o.maxBytes ?? MAX_STREAM_BYTES) >> 20} MiB: the stream was ended`;
  return `backend \`${o.backend}\` ended the stream before it was complete`;
}

const seconds = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

/** Where the text after the last complete SSE event starts (0: no event is complete). */
function lastBoundary(text: string): number {
  const ends = [['\n\n', 2], ['\r\n\r\n', 4], ['\r\r', 2]] as const;
  let end = 0;
  for (const [sep, len] of ends) {
    const i = text.lastIndexOf(sep);
    if (i >= 0) end = Math.max(end, i + len);
  }
  return end;
}
