// TLS interception (L7): small HTTPS requests on a warm keep-alive connection and a 100 MB download
// through the supervisor's real pipeline with interception (cached leaf) versus an L4 tunnel to the
// same upstream, versus mitmproxy as the interception peer, plus the cost of minting a leaf.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy, loadPolicy } from '../../core/policy/index.ts';
import { addressDialer, type Dialer } from '../../core/supervisor/dial.ts';
import { Enforcer } from '../../core/supervisor/enforcer.ts';
import { EventSink } from '../../core/supervisor/events.ts';
import { FlowRegistry } from '../../core/supervisor/flows.ts';
import { policyInterceptor } from '../../core/supervisor/l7/tunnel.ts';
import { startProxy } from '../../core/supervisor/proxy.ts';
import { CA_CERT_FILE, CA_KEY_FILE, TlsAuthority, UPSTREAM_CA_FILE } from '../../core/supervisor/tls/authority.ts';
import { CertificateAuthority, createCa } from '../../core/tls/ca.ts';
import { benchClient } from './stats.ts';

const N = Number(process.env.BENCH_REQUESTS ?? 1000);
// The machine is shared: each figure is the median of rounds run one after the other, variants interleaved.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLIENT = benchClient('tls-client.py');
const HOST = 'api.bench.test';

// The upstream runs in its own process: two HTTPS listeners (a name certificate for our proxy, an
// IP certificate for mitmproxy, which dials what the client names), /small and a 100 MB /big.
const UPSTREAM_JS = `
const https = require('https'); const chunk = Buffer.alloc(1 << 20, 97);
const handler = (q, s) => {
  if (q.url !== '/big') { s.writeHead(200, { 'content-length': 2 }); return s.end('ok'); }
  s.writeHead(200, { 'content-length': 100 * chunk.length }); let n = 0;
  const pump = () => { while (n < 100) { n++; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
  pump();
};
const [a, b] = JSON.parse(process.argv[1]);
const ports = [];
for (const c of [a, b]) https.createServer({ cert: c.certPem, key: c.keyPem }, handler).listen(0, '127.0.0.1', function () {
  ports.push(this.address().port); if (ports.length === 2) console.log(JSON.stringify(ports));
});`;

interface Figures {
  p50: number;
  p99: number;
  rps: number;
  mbps: number;
}

function median(rounds: readonly Figures[]): Figures {
  const med = (k: keyof Figures): number => [...rounds.map((r) => r[k])].sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
  return { p50: med('p50'), p99: med('p99'), rps: med('rps'), mbps: med('mbps') };
}

const pct = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const ms = (s: number): string => `${(s * 1000).toFixed(3)} ms`;

function client(args: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const c = spawn('python3', ['-c', CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`client failed: ${err || out}`))));
  });
}

async function measure(target: string, hostHeader: string, ca: string, via: string): Promise<Figures> {
  const keep = await client(['keep', target, hostHeader, ca, String(N), via]);
  const [par] = await client(['par', target, hostHeader, ca, String(2 * N), via]);
  const bulk = await client(['bulk', target, hostHeader, ca, '3', via]);
  return { p50: pct(keep, 0.5), p99: pct(keep, 0.99), rps: (2 * N) / par!, mbps: 100 / Math.min(...bulk) };
}

function report(label: string, f: Figures, base?: Figures): void {
  const r = (a: number, b: number | undefined): string => (b === undefined ? '' : ` (${(a / b).toFixed(2)}x)`);
  console.log(`  ${label.padEnd(34)} keep-alive p50 ${ms(f.p50)}${r(f.p50, base?.p50)}  p99 ${ms(f.p99)}  ${f.rps.toFixed(0)} req/s  100 MB ${f.mbps.toFixed(0)} MB/s${r(f.mbps, base?.mbps)}`);
}

async function startMitm(dir: string, upstreamCa: string): Promise<{ child: ChildProcess; port: number; ca: string } | null> {
  if (spawnSync('sh', ['-c', 'command -v mitmdump'], { stdio: 'ignore' }).status !== 0) {
    console.log('  mitmproxy not installed: trying `apt-get install -y mitmproxy`');
    const apt = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'mitmproxy'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (apt.status !== 0) return null;
  }
  const port = 18000 + (process.pid % 1000);
  const child = spawn('mitmdump', ['-q', '--listen-host', '127.0.0.1', '--listen-port', String(port), '--set', `confdir=${dir}`, '--set', `ssl_verify_upstream_trusted_ca=${upstreamCa}`, '--set', 'stream_large_bodies=1m'], { stdio: 'ignore' });
  // Bodies above 1 MB are streamed (mitmproxy's default buffers them whole); it writes its CA into confdir on first start.
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (child.exitCode !== null) return null;
    if (spawnSync('sh', ['-c', `test -s ${dir}/mitmproxy-ca-cert.pem && python3 -c 'import socket; socket.create_connection(("127.0.0.1", ${port}))'`], { stdio: 'ignore' }).status === 0)
      return { child, port, ca: join(dir, 'mitmproxy-ca-cert.pem') };
  }
  child.kill();
  return null;
}

function leafCosts(dir: string): { mintUs: number; contextUs: number; hitUs: number } {
  const auth = new TlsAuthority(dir);
  auth.secureContextFor('warm.example');
  const ca = new CertificateAuthority(createCa('bench'));
  let t = performance.now();
  for (let i = 0; i < 200; i++) ca.leaf(`h${i}.example`);
  const mintUs = ((performance.now() - t) * 1000) / 200;
  t = performance.now();
  for (let i = 0; i < 200; i++) auth.secureContextFor(`cold${i}.example`);
  const contextUs = ((performance.now() - t) * 1000) / 200;
  t = performance.now();
  for (let i = 0; i < 20000; i++) auth.secureContextFor(`cold${i % 200}.example`);
  const hitUs = ((performance.now() - t) * 1000) / 20000;
  return { mintUs, contextUs, hitUs };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'l7-bench-'));
  const sandboxCa = createCa('bench sandbox');
  const testCa = createCa('bench upstream CA');
  writeFileSync(join(dir, CA_KEY_FILE), sandboxCa.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, CA_CERT_FILE), sandboxCa.certPem);
  writeFileSync(join(dir, 'sandbox-ca.pem'), sandboxCa.certPem);
  writeFileSync(join(dir, UPSTREAM_CA_FILE), testCa.certPem);
  const testCaFile = join(dir, UPSTREAM_CA_FILE);
  const signer = new CertificateAuthority(testCa);
  const up = spawn('node', ['-e', UPSTREAM_JS, JSON.stringify([signer.leaf(HOST), signer.leaf('127.0.0.1')])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [namePort, ipPort] = await new Promise<number[]>((resolve) => up.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as number[])));
  const events = new EventSink({ dir, sandbox: 'bench', write: () => undefined });
  const flows = new FlowRegistry();
  const enforcer = new Enforcer(dir, events, flows);
  const real = addressDialer(2_000);
  const dial: Dialer = async (addrs) => ({ socket: (await real(['127.0.0.1'], namePort!)).socket, ip: addrs[0]! });
  const server = await startProxy(
    { host: '127.0.0.1', port: 0 },
    {
      enforcer,
      events,
      flows,
      identify: () => Promise.resolve({ ok: true, binary: '/usr/bin/python3', pid: 1, ancestors: [], cmdline: [], hash: 'sha256:x' }),
      resolve: () => Promise.resolve(['93.184.216.34']),
      dial,
      intercept: policyInterceptor({ tls: new TlsAuthority(dir), enforcer, events }),
    },
  );
  const proxyPort = String((server.address() as AddressInfo).port);
  const setPolicy = (extra: string, version: number): void => {
    const loaded = loadPolicy(`version: 1\nnetwork_policies:\n  bench:\n    endpoints: [{ host: ${HOST}, port: 443${extra} }]\n    binaries: [{ path: /usr/bin/python3 }]\n`);
    if (!loaded.ok) throw new Error('bench policy');
    enforcer.apply({ status: 'loaded', revision: { version, hash: `sha256:${String(version).padStart(64, '0')}`, compiled: compilePolicy(loaded.policy) } });
  };
  let mitm: Awaited<ReturnType<typeof startMitm>> = null;
  try {
    console.log(`  latency: ${N} sequential small requests on one keep-alive TLS connection; req/s: ${2 * N} over 4 connections at once;`);
    console.log('  100 MB download (best of 3); python3 ssl client; the proxy is the real pipeline (identity injected)');
    mitm = await startMitm(join(dir, 'mitm'), testCaFile);
    const rounds: { direct: Figures; l4: Figures; l7: Figures; mitm: Figures | null }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const direct = await measure(`${HOST}:443`, HOST, testCaFile, `direct:${namePort}`);
      setPolicy('', 1 + 2 * i);
      const l4 = await measure(`${HOST}:443`, HOST, testCaFile, proxyPort);
      setPolicy(', protocol: rest, enforcement: enforce, rules: [{ allow: { method: GET, path: "/**" } }]', 2 + 2 * i);
      const l7 = await measure(`${HOST}:443`, HOST, join(dir, 'sandbox-ca.pem'), proxyPort);
      const m = mitm ? await measure(`127.0.0.1:${ipPort}`, `127.0.0.1:${ipPort}`, mitm.ca, String(mitm.port)) : null;
      rounds.push({ direct, l4, l7, mitm: m });
    }
    const direct = median(rounds.map((r) => r.direct));
    const l4 = median(rounds.map((r) => r.l4));
    const l7 = median(rounds.map((r) => r.l7));
    const theirs = mitm ? median(rounds.map((r) => r.mitm!)) : null;
    console.log(`  median of ${ROUNDS} rounds:`);
    report('direct (no proxy)', direct);
    report('L4 tunnel (end-to-end TLS)', l4, direct);
    report('L7 interception (cached leaf)', l7, l4);
    if (theirs) report('mitmproxy (interception peer)', theirs, l4);
    else console.log('  mitmproxy: not available (apt-get install failed); its comparison is skipped');
    const leaf = leafCosts(dir);
    console.log(`  leaf certificate: mint ${leaf.mintUs.toFixed(0)} µs; mint + TLS context (cold) ${leaf.contextUs.toFixed(0)} µs; cache hit ${leaf.hitUs.toFixed(2)} µs`);
    const line = (ok: boolean, text: string): void => console.log(`  ${ok ? 'PASS' : 'MISS'}  ${text}`);
    console.log('targets:');
    line(l7.p50 - l4.p50 < 0.001, `interception adds < 1 ms p50 per keep-alive request: ${ms(l7.p50 - l4.p50)}`);
    line(l7.mbps >= 0.5 * l4.mbps, `throughput >= 50% of the L4 tunnel: ${((100 * l7.mbps) / l4.mbps).toFixed(0)}%`);
    if (theirs) line(l7.rps >= 5 * theirs.rps, `>= 5x mitmproxy's requests/s: ${(l7.rps / theirs.rps).toFixed(1)}x (${l7.rps.toFixed(0)} vs ${theirs.rps.toFixed(0)})`);
  } finally {
    mitm?.child.kill();
    up.kill();
    server.close();
    server.closeAllConnections();
    events.close();
  }
}
