import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { streamRelay } from './translate-stream.ts';
import type { Protocol } from './types.ts';

const IDLE_MS = 120_000;

export interface RelayOptions {
  readonly upstream: Protocol;
  readonly agent: Protocol;
  readonly model: string;
  readonly backend: string;
  readonly idleMs?: number | undefined;
}

export interface RelayResult {
  /** The backend sent its terminal event; false: it died, stalled, or the agent left. */
  readonly complete: boolean;
  readonly usage: { readonly input?: number; readonly output?: number };
  readonly textChars: number;
}

/**
 * Streams an SSE answer to the agent chunk by chunk (translated when the protocols differ). A backend
 * that dies or stalls mid-stream gets an error event in the agent's protocol, then the stream ends.
 */
export function relayStream(up: IncomingMessage, res: ServerResponse, o: RelayOptions): Promise<RelayResult> {
  const relay = streamRelay(o.upstream, o.agent, o.model);
  const decoder = new StringDecoder('utf8');
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-inference-backend': o.backend });
  res.flushHeaders();
  return new Promise((resolve) => {
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => up.destroy(), o.idleMs ?? IDLE_MS);
    };
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      if (!res.writableEnded) {
        const tail = relay.push(decoder.end());
        if (tail) res.write(tail);
        if (!relay.complete) res.write(relay.errorEvent('upstream_error', `backend \`${o.backend}\` ended the stream before it was complete`));
        res.end();
      }
      resolve({ complete: relay.complete, usage: relay.usage, textChars: relay.textChars });
    };
    arm();
    up.on('data', (c: Buffer) => {
      arm();
      const out = relay.push(decoder.write(c));
      if (out) res.write(out);
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
