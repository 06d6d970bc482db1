// The egress proxy: latency and throughput through the supervisor (L4 allowed) versus direct (and
// Squid when installed) on the same engine; plus the cost of one binary-identity lookup.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureImages } from '../../core/docker/images/index.ts';
import { EGRESS_NETWORK } from '../../core/docker/labels.ts';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { Identifier } from '../../core/supervisor/identity.ts';
import { SockDiag } from '../../core/supervisor/sockdiag.ts';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-stream';
import { docker, bridgeGateway, supervisor, supervisorShell, waitForLine, writePolicyFile } from '../integration/egress-helpers.ts';
import { execCapture } from '../integration/helpers.ts';

const N = Number(process.env.BENCH_REQUESTS ?? 300);
const CLIENT = readFileSync(new URL('../fixtures/supervisor/http-client.py', import.meta.url), 'utf8');
const UPSTREAM_JS = `
const http = require('http'); const chunk = Buffer.alloc(1 << 20, 97);
http.createServer((q, s) => {
  if (q.url !== '/big') { s.writeHead(200, { 'content-length': 2 }); return s.end('ok'); }
  s.writeHead(200, { 'content-length': 100 * chunk.length }); let n = 0;
  const pump = () => { while (n < 100) { n++; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
  pump();
}).listen(8080);`;

const pct = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const ms = (s: number): string => `${(s * 1000).toFixed(3)} ms`;

interface Figures {
  keepP50: number;
  keepP99: number;
  newP50: number;
  newP99: number;
  mbps: number;
}

async function measure(run: (args: string[]) => Promise<string>, host: string, via?: string): Promise<Figures> {
  const go = async (mode: string, n: number): Promise<number[]> => {
    const out = await run(['python3', '-c', CLIENT, mode, host, '8080', String(n), ...(via ? [via] : [])]);
    return JSON.parse(out) as number[];
  };
  const keep = await go('keepalive', N);
  const fresh = await go('new', N);
  const bulk = await go('bulk', 3);
  return { keepP50: pct(keep, 0.5), keepP99: pct(keep, 0.99), newP50: pct(fresh, 0.5), newP99: pct(fresh, 0.99), mbps: 100 / Math.min(...bulk) };
}

function report(label: string, f: Figures, base?: Figures): void {
  const r = (a: number, b: number | undefined): string => (b === undefined ? '' : ` (${(a / b).toFixed(2)}x)`);
  console.log(`  ${label}`);
  console.log(`    keep-alive small request  p50 ${ms(f.keepP50)}${r(f.keepP50, base?.keepP50)}  p99 ${ms(f.keepP99)}${r(f.keepP99, base?.keepP99)}`);
  console.log(`    new connection + request  p50 ${ms(f.newP50)}${r(f.newP50, base?.newP50)}  p99 ${ms(f.newP99)}${r(f.newP99, base?.newP99)}`);
  console.log(`    100 MB transfer           ${f.mbps.toFixed(0)} MB/s${base ? ` (${(f.mbps / base.mbps).toFixed(2)}x of direct)` : ''}`);
}

/** A Squid allowing every CONNECT, listening on the egress bridge's host address (null when not installed). */
async function startSquid(listen: string): Promise<ChildProcess | null> {
  const dir = mkdtempSync(join(tmpdir(), 'squid-'));
  const conf = join(dir, 'squid.conf');
  writeFileSync(
    conf,
    [`http_port ${listen}`, 'http_access allow all', 'cache deny all', 'access_log none', 'cache_log /dev/null', `pid_filename ${dir}/squid.pid`, 'shutdown_lifetime 0 seconds', `coredump_dir ${dir}`, ''].join('\n'),
  );
  const child = spawn('squid', ['-N', '-f', conf], { stdio: 'ignore' });
  const ok = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    setTimeout(() => resolve(child.exitCode === null), 1500);
  });
  return ok ? child : null;
}

async function identityCost(): Promise<void> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const sockets: Socket[] = [];
  server.on('connection', (s) => sockets.push(s));
  const kids: ChildProcess[] = [];
  const client = (): ChildProcess => spawn('python3', ['-c', `import socket,time; s=socket.create_connection(("127.0.0.1", ${port})); time.sleep(60)`], { stdio: 'ignore' });
  // The oldest client first, then 200 idle processes, then the newest client.
  kids.push(client());
  for (let i = 0; i < 200; i++) kids.push(spawn('sleep', ['60'], { stdio: 'ignore' }));
  kids.push(client());
  while (sockets.length < 2) await new Promise((r) => setTimeout(r, 20));
  const [old, young] = sockets as [Socket, Socket];
  const ends = (s: Socket) => [{ ip: s.remoteAddress!, port: s.remotePort! }, { ip: s.localAddress!, port: s.localPort! }] as const;
  const time = async (fn: () => Promise<unknown>, n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      out.push(performance.now() - t);
    }
    return out;
  };
  const diag = new SockDiag();
  const warm = new Identifier(undefined, undefined, process.pid, diag);
  if (!(await warm.identify(...ends(young))).ok) throw new Error('identity lookup failed');
  const repeat = await time(() => warm.identify(...ends(young)), 500);
  const newest = await time(() => new Identifier(undefined, warm.tofu, process.pid, diag).identify(...ends(young)), 200);
  const oldest = await time(() => new Identifier(undefined, warm.tofu, process.pid, diag).identify(...ends(old)), 200);
  const procOnly = await time(() => new Identifier(undefined, warm.tofu, process.pid).identify(...ends(young)), 50);
  diag.close();
  for (const k of kids) k.kill('SIGKILL');
  server.close();
  for (const s of sockets) s.destroy();
  console.log('  identity lookup on this host (its own process tree), 200 extra idle processes (p50 / p99):');
  console.log(`    client seen before (recent-owner hit)   ${pct(repeat, 0.5).toFixed(3)} / ${pct(repeat, 0.99).toFixed(3)} ms`);
  console.log(`    new client, newest pid                  ${pct(newest, 0.5).toFixed(3)} / ${pct(newest, 0.99).toFixed(3)} ms   (target p50 < 0.3 ms)`);
  console.log(`    new client, oldest pid (full scan)      ${pct(oldest, 0.5).toFixed(3)} / ${pct(oldest, 0.99).toFixed(3)} ms`);
  console.log(`    new client, /proc/net/tcp instead of netlink ${pct(procOnly, 0.5).toFixed(3)} / ${pct(procOnly, 0.99).toFixed(3)} ms`);
}

/** Runs in the supervisor container: identifies an agent client holding a connection to the proxy. */
const IN_POD_ENTRY = `
import { readdirSync, readFileSync } from 'node:fs';
import { Identifier } from './core/supervisor/identity.ts';
import { SockDiag } from './core/supervisor/sockdiag.ts';
import { parseProcNetTcp } from './core/supervisor/procnet.ts';
const row = parseProcNetTcp(readFileSync('/proc/net/tcp', 'latin1')).find((r) => r.remotePort === 3128 && r.uid === 1000 && r.state === 1);
if (!row) throw new Error('no agent connection to the proxy');
const peer = { ip: row.localIp, port: row.localPort }, proxy = { ip: row.remoteIp, port: 3128 };
const diag = new SockDiag();
const warm = new Identifier(undefined, undefined, process.pid, diag);
const first = await warm.identify(peer, proxy);
if (!first.ok) throw new Error(first.reason);
const time = async (fn, n) => { const out = []; for (let i = 0; i < n; i++) { const t = performance.now(); await fn(); out.push(performance.now() - t); } return out.sort((a, b) => a - b); };
const repeat = await time(() => warm.identify(peer, proxy), 500);
const cold = await time(() => new Identifier(undefined, warm.tofu, process.pid, diag).identify(peer, proxy), 300);
const procfs = await time(() => new Identifier(undefined, warm.tofu, process.pid).identify(peer, proxy), 100);
const pids = String(readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).length);
console.log(JSON.stringify({ binary: first.binary, tasks: pids, repeat: [repeat[250], repeat[495]], cold: [cold[150], cold[297]], procfs: [procfs[50], procfs[99]] }));
diag.close();
`;

/** The identity lookup measured where it runs: in the supervisor, with 200 idle agent processes. */
async function identityInPod(gw: EmbeddedGateway, name: string): Promise<void> {
  const { build } = await import('esbuild');
  const out = await build({ stdin: { contents: IN_POD_ENTRY, resolveDir: fileURLToPath(new URL('../..', import.meta.url)), loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', target: 'node18', write: false, logLevel: 'silent' });
  const tar = pack();
  tar.entry({ name: 'idbench.mjs', mode: 0o644 }, Buffer.from(out.outputFiles[0]!.contents));
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  await supervisor(name).putArchive(Buffer.concat(chunks), { path: '/tmp' });
  const holder = execCapture(gw, name, [
    'sh', '-c',
    'for i in $(seq 200); do sleep 30 & done; python3 -c \'import socket,time; s=socket.create_connection(("127.0.0.1", 3128)); time.sleep(20)\' & sleep 20',
  ]);
  await new Promise((r) => setTimeout(r, 1500));
  const res = JSON.parse(await supervisorShell(name, 'node /tmp/idbench.mjs 2>&1 | tail -1').then((t) => t.slice(t.indexOf('{')))) as {
    binary: string; tasks: string; repeat: number[]; cold: number[]; procfs: number[];
  };
  const f = (xs: number[]): string => `${xs[0]!.toFixed(3)} / ${xs[1]!.toFixed(3)} ms`;
  console.log(`  identity lookup in the supervisor, ${res.tasks} processes in the pod, client ${res.binary} (p50 / p99):`);
  console.log(`    connection's client seen before     ${f(res.repeat)}`);
  console.log(`    new client (cold caches but TOFU)   ${f(res.cold)}   (target p50 < 0.3 ms)`);
  console.log(`    same, /proc/net/tcp, no netlink     ${f(res.procfs)}`);
  await holder.catch(() => undefined);
}

export async function run(): Promise<void> {
  await identityCost();
  const images = await ensureImages(docker);
  const gw = new EmbeddedGateway();
  await gw.start();
  const name = `bench-proxy-${process.pid}`;
  const containers: string[] = [];
  let squid: ChildProcess | null = null;
  try {
    await gw.createSandbox({ name });
    const up = await docker.createContainer({ name: `${name}-up`, Image: images.supervisor.tag, Entrypoint: ['node', '-e', UPSTREAM_JS], HostConfig: { NetworkMode: EGRESS_NETWORK } });
    containers.push(`${name}-up`);
    await up.start();
    const ip = (await up.inspect()).NetworkSettings.Networks[EGRESS_NETWORK]!.IPAddress;
    const direct = await docker.createContainer({ name: `${name}-direct`, Image: images.sandbox.tag, Entrypoint: ['sleep', 'infinity'], HostConfig: { NetworkMode: EGRESS_NETWORK } });
    containers.push(`${name}-direct`);
    await direct.start();
    await identityInPod(gw, name);
    await writePolicyFile(name, { version: 1000, policy: { version: 1, network_policies: { bench: { endpoints: [{ host: ip, port: 8080 }], binaries: [{ path: '/usr/bin/python3*' }] } } } });
    await waitForLine(name, (l) => l.type === 'policy' && l.version === 1000);
    await new Promise((r) => setTimeout(r, 500));
    const inDirect = async (cmd: string[]): Promise<string> => {
      const exec = await direct.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      const out: Buffer[] = [];
      const sink = new (await import('node:stream')).PassThrough().on('data', (c: Buffer) => out.push(c));
      docker.modem.demuxStream(stream, sink, process.stderr);
      await new Promise((r) => stream.on('end', r));
      return Buffer.concat(out).toString();
    };
    const inAgent = async (cmd: string[]): Promise<string> => {
      const r = await execCapture(gw, name, cmd);
      if (r.code !== 0) throw new Error(`bench client failed: ${r.stderr}`);
      return r.stdout.toString();
    };
    console.log(`through the proxy vs direct, ${N} requests each, upstream node:18 on ${EGRESS_NETWORK}:`);
    const base = await measure(inDirect, ip);
    report('direct (container → upstream)', base);
    const ours = await measure(inAgent, ip, '127.0.0.1:3128');
    report('openshell proxy (identity + L4 + guard, CONNECT)', ours, base);
    const gwIp = await bridgeGateway();
    squid = await startSquid(`${gwIp}:3129`);
    if (squid) report('squid 5 (allow-all CONNECT on the bridge host address)', await measure(inDirect, ip, `${gwIp}:3129`), base);
    else console.log('  squid: not installed (apt-get install -y squid) — skipped');
  } finally {
    squid?.kill('SIGKILL');
    for (const c of containers) await docker.getContainer(c).remove({ force: true }).catch(() => undefined);
    await gw.deleteSandbox(name).catch(() => undefined);
  }
}
