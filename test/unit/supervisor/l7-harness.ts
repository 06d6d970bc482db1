import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { applyPolicyYaml, CURL } from '../../fixtures/supervisor/harness.ts';
import { addressDialer, type Dialer } from '../../../core/supervisor/dial.ts';
import { Enforcer } from '../../../core/supervisor/enforcer.ts';
import { EventSink } from '../../../core/supervisor/events.ts';
import { FlowRegistry } from '../../../core/supervisor/flows.ts';
import type { IdentityResult } from '../../../core/supervisor/identity.ts';
import { policyInterceptor } from '../../../core/supervisor/l7/tunnel.ts';
import { startProxy } from '../../../core/supervisor/proxy.ts';
import { CA_CERT_FILE, CA_KEY_FILE, TlsAuthority, UPSTREAM_CA_FILE } from '../../../core/supervisor/tls/authority.ts';
import { CertificateAuthority, createCa } from '../../../core/tls/ca.ts';

/** The real proxy with L7 interception on loopback, a sandbox CA, and an HTTPS upstream signed by a test CA. */

export { CURL };

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface L7Rig {
  readonly proxyPort: number;
  readonly sandboxCa: string;
  /** The CA that signed the port-443 upstream (what a client trusts on an uninspected tunnel). */
  readonly upstreamCa: string;
  readonly lines: Record<string, unknown>[];
  readonly seen: Seen[];
  setPolicy(yaml: string, version?: number): void;
  close(): Promise<void>;
}

/** An HTTPS server answering JSON `{method,url}`; `/big?mb=N` streams N MiB. */
export async function startHttpsUpstream(cert: { certPem: string; keyPem: string } | null, seen: Seen[]): Promise<{ server: Server | HttpServer; port: number }> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      const big = /^\/big\?mb=(\d+)$/.exec(req.url ?? '');
      if (big) {
        const chunk = Buffer.alloc(1 << 20, 97);
        let left = Number(big[1]);
        res.writeHead(200, { 'content-length': left * chunk.length });
        const pump = (): void => {
          while (left > 0) {
            left--;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      const body = JSON.stringify({ method: req.method, url: req.url, bytes: Buffer.concat(chunks).length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
  const server = cert ? createServer({ cert: cert.certPem, key: cert.keyPem }, handler) : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

export async function startL7Rig(
  opts: {
    identity?: IdentityResult;
    upstreamSignedBy?: 'test-ca' | 'stranger';
    /** Another HTTPS server for port 443, trusted through `upstreamCa`. */
    upstream443?: number;
    upstreamCa?: string;
    /** Idle limit between requests on inspected connections (default: the production 5 minutes). */
    idleMs?: number;
  } = {},
): Promise<L7Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'l7-'));
  const sandbox = createCa('l7-unit');
  const testCa = createCa('test upstream CA');
  const stranger = createCa('nobody trusts me');
  writeFileSync(join(dir, CA_KEY_FILE), sandbox.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, CA_CERT_FILE), sandbox.certPem);
  writeFileSync(join(dir, UPSTREAM_CA_FILE), opts.upstreamCa ?? testCa.certPem);
  const signer = new CertificateAuthority(opts.upstreamSignedBy === 'stranger' ? stranger : testCa);
  const seen: Seen[] = [];
  const upstream = await startHttpsUpstream(signer.leaf('api.example.com'), seen);
  // Port 443 reaches the HTTPS upstream, any other port a plain-HTTP one with the same answers.
  const plain = await startHttpsUpstream(null, seen);
  const lines: Record<string, unknown>[] = [];
  const events = new EventSink({ dir, sandbox: 'test', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const flows = new FlowRegistry();
  const enforcer = new Enforcer(dir, events, flows);
  const real = addressDialer(2_000);
  const dial: Dialer = async (addrs, port) => ({ socket: (await real(['127.0.0.1'], port === 443 ? (opts.upstream443 ?? upstream.port) : plain.port)).socket, ip: addrs[0]! });
  const server = await startProxy(
    { host: '127.0.0.1', port: 0 },
    {
      enforcer,
      events,
      flows,
      identify: () => Promise.resolve(opts.identity ?? CURL),
      resolve: () => Promise.resolve(['93.184.216.34']),
      dial,
      intercept: policyInterceptor({ tls: new TlsAuthority(dir), enforcer, events, ...(opts.idleMs === undefined ? {} : { idleMs: opts.idleMs }) }),
    },
  );
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => sockets.add(s));
  return {
    proxyPort: (server.address() as AddressInfo).port,
    sandboxCa: sandbox.certPem,
    upstreamCa: opts.upstreamCa ?? testCa.certPem,
    lines,
    seen,
    setPolicy: (yaml, version = 1) => applyPolicyYaml(enforcer, yaml, version),
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      server.closeAllConnections();
      for (const u of [upstream, plain]) {
        u.server.closeAllConnections();
        await new Promise<void>((r) => u.server.close(() => r()));
      }
      events.close();
    },
  };
}

/** What a tunnel needs: the proxy's port and the CA the client trusts. */
export type TunnelRig = Pick<L7Rig, 'proxyPort' | 'sandboxCa'>;

/** CONNECT through the proxy; resolves with the tunnel once `200` arrived (`tls`: then a TLS client on it). */
export function openTunnel(rig: TunnelRig, target: string, tls: false): Promise<Socket>;
export function openTunnel(rig: TunnelRig, target: string, tls: true, servername?: string): Promise<TLSSocket>;
export function openTunnel(rig: TunnelRig, target: string, tls: boolean, servername?: string): Promise<TLSSocket | Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(rig.proxyPort, '127.0.0.1');
    s.once('error', reject);
    s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
    let got = '';
    const onData = (c: Buffer): void => {
      got += c.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      s.off('data', onData);
      if (!got.startsWith('HTTP/1.1 200')) return reject(new Error(got));
      if (!tls) return resolve(s);
      const t = tlsConnect({ socket: s, servername: servername ?? target.split(':')[0]!, ca: rig.sandboxCa });
      t.once('secureConnect', () => resolve(t));
      t.once('error', reject);
    };
    s.on('data', onData);
  });
}

/** Writes raw bytes on a tunnel and collects what comes back until it closes or `waitMs` passes. */
export function exchange(sock: TLSSocket | Socket, data: string, waitMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(out), waitMs);
    sock.on('data', (c: Buffer) => (out += c.toString('latin1')));
    sock.on('close', () => (clearTimeout(timer), resolve(out)));
    sock.on('error', () => undefined);
    sock.write(data);
  });
}

/** Every HTTP response in a byte string: status and (JSON) body. */
export function responses(raw: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const head = rest.slice(0, end);
    const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    out.push({ status: Number(head.slice(9, 12)), body: rest.slice(end + 4, end + 4 + len) });
    rest = rest.slice(end + 4 + len);
  }
  return out;
}
