import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { L7_IDLE_MS } from '../../../core/supervisor/l7/inspect.ts';
import { exchange, openTunnel, responses, startL7Rig, type L7Rig } from './l7-harness.ts';

// An inspected keep-alive connection left idle between requests is closed cleanly by the supervisor:
// TLS close_notify and FIN, so the agent's pool sees an ordinary end and reconnects.

const POLICY = `
version: 1
network_policies:
  api:
    endpoints: [{ host: api.example.com, port: 443, protocol: rest, enforcement: enforce, access: read-only }]
    binaries: [{ path: /usr/bin/curl }]
`;
const PLAIN = POLICY.replace('port: 443', 'port: 8080');

let rig: L7Rig;
afterEach(async () => rig?.close());

const get = (host: string): string => `GET /items HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

/** Resolves with how the socket ended: a clean end (FIN / close_notify) or an error, and when. */
function ending(sock: Socket | TLSSocket): Promise<{ clean: boolean; at: number }> {
  return new Promise((resolve) => {
    sock.once('end', () => resolve({ clean: true, at: performance.now() }));
    sock.once('error', () => resolve({ clean: false, at: performance.now() }));
  });
}

describe('idle inspected connections', () => {
  it('is five minutes in production', () => {
    expect(L7_IDLE_MS).toBe(300_000);
  });

  it('closes a TLS keep-alive connection cleanly after the idle limit, not before, and keeps it while busy', async () => {
    rig = await startL7Rig({ idleMs: 400 });
    rig.setPolicy(POLICY);
    const t = await openTunnel(rig, 'api.example.com:443', true);
    const ended = ending(t);
    // Three requests 250 ms apart: each pause is under the limit, so the connection stays up.
    for (let i = 0; i < 3; i++) {
      expect(responses(await exchange(t, get('api.example.com'), 250)).map((r) => r.status)).toEqual([200]);
      t.removeAllListeners('data');
    }
    const lastRequest = performance.now();
    const { clean, at } = await ended;
    expect(clean).toBe(true);
    expect(at - lastRequest).toBeGreaterThan(100);
    expect(at - lastRequest).toBeLessThan(2_000);
    expect(rig.seen).toHaveLength(3);
  });

  it('closes a plain-HTTP inspected connection that never sends a request', async () => {
    rig = await startL7Rig({ idleMs: 300 });
    rig.setPolicy(PLAIN);
    const s = await openTunnel(rig, 'api.example.com:8080', false);
    const started = performance.now();
    const { clean, at } = await ending(s);
    expect(clean).toBe(true);
    expect(at - started).toBeGreaterThan(250);
    expect(at - started).toBeLessThan(2_000);
  });

  it('closes a connection sending its head too slowly (a byte at a time)', async () => {
    rig = await startL7Rig({ idleMs: 400 });
    rig.setPolicy(PLAIN);
    const s = await openTunnel(rig, 'api.example.com:8080', false);
    const ended = ending(s);
    const text = get('api.example.com');
    let i = 0;
    const drip = setInterval(() => (i < text.length - 2 && !s.destroyed ? s.write(text[i++]!) : clearInterval(drip)), 50);
    const started = performance.now();
    const { clean, at } = await ended;
    clearInterval(drip);
    expect(clean).toBe(true);
    expect(at - started).toBeLessThan(2_000);
    expect(rig.seen).toHaveLength(0);
  });
});
