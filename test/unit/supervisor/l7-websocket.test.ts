import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { CertificateAuthority, createCa } from '../../../core/tls/ca.ts';
import { openTunnel, startL7Rig, type L7Rig } from './l7-harness.ts';

// A WebSocket server behind TLS: the rig's port-443 upstream is replaced by one that echoes text messages.
const policy = (access: string): string => `
version: 1
network_policies:
  chat:
    endpoints: [{ host: api.example.com, port: 443, protocol: websocket, enforcement: enforce, access: ${access} }]
    binaries: [{ path: /usr/bin/curl }]
`;

function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

function collect(t: TLSSocket, until: (s: Buffer) => boolean, ms = 2000): Promise<Buffer> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const done = (): void => {
      clearTimeout(timer);
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    t.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (until(got)) done();
    });
    t.on('close', done);
  });
}

let rig: L7Rig;
let received: string[];
let close: () => void;
afterEach(async () => {
  close?.();
  await rig?.close();
});

async function setup(access: string): Promise<TLSSocket> {
  const testCa = createCa('ws test CA');
  const leaf = new CertificateAuthority(testCa).leaf('api.example.com');
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem });
  const wss = new WebSocketServer({ server });
  received = [];
  wss.on('connection', (ws) => ws.on('message', (m: Buffer) => (received.push(m.toString()), ws.send(`echo ${m.toString()}`))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => {
    wss.close();
    server.close();
    server.closeAllConnections();
  };
  rig = await startL7Rig({ upstream443: (server.address() as AddressInfo).port, upstreamCa: testCa.certPem });
  rig.setPolicy(policy(access));
  const t = await openTunnel(rig, 'api.example.com:443', true);
  const key = Buffer.from('0123456789abcdef').toString('base64');
  const answer = collect(t, (b) => b.includes('\r\n\r\n'));
  t.write(`GET /chat/room HTTP/1.1\r\nHost: api.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  expect((await answer).toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  t.removeAllListeners('data');
  t.removeAllListeners('close');
  return t;
}

describe('WebSocket through interception', () => {
  it('judges the upgrade as GET and text messages as WEBSOCKET_TEXT (allowed: relayed both ways)', async () => {
    const t = await setup('read-write');
    const echo = collect(t, (b) => b.includes('echo hi'));
    t.write(textFrame('hi'));
    expect((await echo).subarray(2).toString()).toBe('echo hi');
    expect(received).toEqual(['hi']);
    const l7 = rig.lines.filter((l) => l.layer === 'l7');
    expect(l7.map((l) => [l.action, l.method, l.path])).toEqual([
      ['allow', 'GET', '/chat/room'],
      ['allow', 'WEBSOCKET_TEXT', '/chat/room'],
    ]);
  });

  it('closes with 1008 when text messages are not allowed, before the message reaches the server', async () => {
    const t = await setup('read-only');
    const closing = collect(t, () => false);
    t.write(textFrame('drop table'));
    const got = await closing;
    expect([...got.subarray(0, 4)]).toEqual([0x88, 0x02, 0x03, 0xf0]);
    expect(received).toEqual([]);
    expect(rig.lines.filter((l) => l.layer === 'l7').at(-1)).toMatchObject({ action: 'deny', method: 'WEBSOCKET_TEXT', status: 1008, rule: 'chat' });
  });
});
