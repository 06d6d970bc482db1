import type { Duplex } from 'node:stream';
import { bothClosed } from './exchange.ts';

/**
 * After `101 Switching Protocols` on a `protocol: websocket` endpoint: the agent's frames are followed
 * (header by header; payloads pass untouched, permessage-deflate or not) and every text message is
 * judged as method `WEBSOCKET_TEXT` on the upgrade's path. A refused one closes the connection with
 * code 1008 (policy violation); the server's frames are relayed as they are.
 */

export type TextJudge = () => { readonly ok: true } | { readonly ok: false };

/** Close frame from the server side (unmasked): 1008, policy violation. */
const CLOSE_1008 = Buffer.from([0x88, 0x02, 0x03, 0xf0]);

export async function relayWebSocket(client: Duplex, clientBytes: Buffer, up: Duplex, upBytes: Buffer, judge: TextJudge): Promise<void> {
  client.removeAllListeners('data');
  up.removeAllListeners('data');
  if (upBytes.length) client.write(upBytes);
  up.pipe(client);
  let pending: Buffer = Buffer.alloc(0);
  let payloadLeft = 0;
  let refused = false;
  const feed = (chunk: Buffer): void => {
    let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    pending = Buffer.alloc(0);
    let at = 0;
    while (at < buf.length && !refused) {
      if (payloadLeft > 0) {
        const n = Math.min(payloadLeft, buf.length - at);
        payloadLeft -= n;
        at += n;
        continue;
      }
      const head = frameHead(buf, at);
      if (head === null) {
        pending = buf.subarray(at);
        buf = buf.subarray(0, at);
        break;
      }
      // A text message is judged at its first frame; continuation frames belong to it.
      if (head.opcode === 1 && !judge().ok) {
        refused = true;
        buf = buf.subarray(0, at);
        break;
      }
      at += head.size;
      payloadLeft = head.payload;
    }
    if (buf.length) up.write(buf);
    if (refused) {
      client.end(CLOSE_1008);
      up.destroy();
    }
  };
  if (clientBytes.length) feed(clientBytes);
  client.on('data', feed);
  client.on('end', () => up.end());
  client.resume();
  up.resume();
  await bothClosed(client, up);
}

/** A frame's opcode, header size and payload length; null until the whole header has arrived. */
function frameHead(b: Buffer, at: number): { opcode: number; size: number; payload: number } | null {
  if (b.length - at < 2) return null;
  const len7 = b[at + 1]! & 0x7f;
  const masked = (b[at + 1]! & 0x80) !== 0;
  const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  const size = 2 + ext + (masked ? 4 : 0);
  if (b.length - at < size) return null;
  const payload = len7 === 126 ? b.readUInt16BE(at + 2) : len7 === 127 ? Number(b.readBigUInt64BE(at + 2)) : len7;
  return { opcode: b[at]! & 0x0f, size, payload };
}
