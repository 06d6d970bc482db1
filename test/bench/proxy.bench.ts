// The egress proxy: latency and throughput through the supervisor (L4 allowed) versus direct, Squid
// (when installed) and a C splice relay in the proxy's place (the ceiling, when gcc is there), all in
// one run; the cost of one binary-identity lookup and of one holder sweep; each target as PASS/MISS.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureImages } from '../../core/docker/images/index.ts';
import { EGRESS_NETWORK } from '../../core/docker/labels.ts';
import { EmbeddedGateway } from '../../core/gateway/embedded.ts';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-stream';
import { docker, supervisor, supervisorShell, waitForLine, writePolicyFile } from '../integration/egress-helpers.ts';
import { execCapture } from '../integration/helpers.ts';
import { benchClient } from './stats.ts';
import { DIAG_LAUNCHER_ENV } from '../../core/supervisor/sockdiag-fd.ts';

const N = Number(process.env.BENCH_REQUESTS ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/**
 * New connections made through every path before anything is measured. The supervisor runs on a JIT:
 * its per-connection code is optimised after some hundreds of connections (a fresh supervisor's first
 * ones take about 0.3 ms more). Every path gets the same warm-up, so the figures are steady-state ones.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1000);
const CLIENT = benchClient('http-client.py');
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

/** Where Squid listens in the pod's network namespace: beside the proxy (3128), the C relay (3132) and the Node floor (3133). */
const SQUID_PORT = 3134;

/**
 * A Squid allowing every CONNECT on the proxy's path (null when not installed): the host's squid started
 * in the pod's network namespace (nsenter), so the agent reaches it on loopback as it reaches the proxy,
 * and it dials out through the same interface. Squid drops to its own user, which the fence refuses: one
 * rule lets that user reach the bench's upstream only.
 */
async function startSquid(name: string, upstreamIp: string): Promise<ChildProcess | null> {
  let uid: string;
  try {
    execFileSync('squid', ['-v'], { stdio: 'ignore' });
    uid = execFileSync('id', ['-u', 'proxy'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'squid-'));
  const conf = join(dir, 'squid.conf');
  writeFileSync(
    conf,
    [
      `http_port 127.0.0.1:${SQUID_PORT}`,
      'http_access allow all',
      'cache deny all',
      'access_log none',
      'cache_log /dev/null',
      'cache_effective_user proxy',
      'visible_hostname openshell-bench',
      `pid_filename ${dir}/squid.pid`,
      'shutdown_lifetime 0 seconds',
      `coredump_dir ${dir}`,
      '',
    ].join('\n'),
  );
  await supervisorShell(name, `iptables -I OUTPUT 1 -m owner --uid-owner ${uid} -d ${upstreamIp}/32 -p tcp --dport 8080 -j ACCEPT`);
  const pid = (await supervisor(name).inspect()).State.Pid;
  const child = spawn('nsenter', ['-t', String(pid), '-n', 'squid', '-N', '-f', conf], { stdio: 'ignore' });
  const ok = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    setTimeout(() => resolve(child.exitCode === null), 1500);
  });
  return ok ? child : null;
}

/**
 * The C splice relay (test/fixtures/supervisor/splice-relay.c) built with the host's gcc and started in
 * the supervisor container on 127.0.0.1:3132: same place, same path as the proxy. False without gcc.
 */
async function startSpliceRelay(name: string): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'splice-'));
  try {
    execFileSync('gcc', ['-O2', '-static', '-pthread', '-o', join(dir, 'splice-relay'), fileURLToPath(new URL('../fixtures/supervisor/splice-relay.c', import.meta.url))], { stdio: 'ignore' });
  } catch {
    return false;
  }
  const tar = pack();
  tar.entry({ name: 'splice-relay', mode: 0o755 }, readFileSync(join(dir, 'splice-relay')));
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  await supervisor(name).putArchive(Buffer.concat(chunks), { path: '/tmp' });
  const exec = await supervisor(name).exec({ Cmd: ['/tmp/splice-relay', '127.0.0.1', '3132'] });
  await exec.start({ Detach: true });
  await new Promise((r) => setTimeout(r, 300));
  return true;
}

/**
 * The least a CONNECT relay in Node does (read the target, dial, answer 200, pipe both ways), started
 * with the supervisor's Node in its container on 127.0.0.1:3133: the floor for a proxy written in Node,
 * so the report can tell the runtime's cost from the proxy's own work (identity, policy, events).
 */
const NODE_RELAY_JS = `
const net = require('net');
net.createServer({ noDelay: true }, (c) => {
  c.on('error', () => c.destroy());
  c.once('data', (d) => {
    const [host, port] = d.toString('latin1', 0, d.indexOf('\\r\\n')).split(' ')[1].split(':');
    const u = net.connect({ host, port: Number(port), noDelay: true, allowHalfOpen: true }, () => {
      c.write('HTTP/1.1 200 Connection Established\\r\\n\\r\\n');
      c.pipe(u);
      u.pipe(c);
    });
    u.on('error', () => c.destroy());
  });
}).listen(3133, '127.0.0.1');`;

async function startNodeRelay(name: string): Promise<void> {
  const exec = await supervisor(name).exec({ Cmd: ['node', '-e', NODE_RELAY_JS] });
  await exec.start({ Detach: true });
  await new Promise((r) => setTimeout(r, 500));
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
const q = (xs) => [xs[Math.floor(xs.length / 2)], xs[Math.floor(xs.length * 0.99)]];
const repeat = await time(() => warm.identify(peer, proxy), 500);
// Split: the netlink round trip to the helper, and the /proc part once the socket's inode is known.
const netlink = await time(() => warm.locate(peer, proxy), 500);
const located = await warm.locate(peer, proxy);
const afterLocate = await time(() => warm.identifyInode(located.inode, peer, located.uid), 500);
const cold = await time(() => new Identifier(undefined, warm.tofu, process.pid, diag).identify(peer, proxy), 300);
const procfs = await time(() => new Identifier(undefined, warm.tofu, process.pid).identify(peer, proxy), 100);
// The holder sweep (off the connection's path): one pass over every process.
const sweep = [];
for (let i = 0; i < 10; i++) { warm.watchHolders(first, () => undefined); await warm.sweep.settled(); sweep.push(warm.sweep.lastPassMs); }
sweep.sort((a, b) => a - b);
const pids = String(readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).length);
console.log(JSON.stringify({ binary: first.binary, tasks: pids, inProcess: diag.inProcess, repeat: q(repeat), netlink: q(netlink), afterLocate: q(afterLocate), cold: q(cold), procfs: q(procfs), sweep: q(sweep) }));
diag.close();
`;

interface PodIdentity {
  binary: string;
  tasks: string;
  inProcess: boolean;
  repeat: number[];
  netlink: number[];
  afterLocate: number[];
  cold: number[];
  procfs: number[];
  sweep: number[];
}

/** The identity lookup measured where it runs: in the supervisor, with 200 idle agent processes. */
async function identityInPod(gw: EmbeddedGateway, name: string): Promise<PodIdentity> {
  const { build } = await import('esbuild');
  const out = await build({ stdin: { contents: IN_POD_ENTRY, resolveDir: fileURLToPath(new URL('../..', import.meta.url)), loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', target: 'node18', write: false, logLevel: 'silent' });
  const tar = pack();
  tar.entry({ name: 'idbench.mjs', mode: 0o644 }, Buffer.from(out.outputFiles[0]!.contents));
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  await supervisor(name).putArchive(Buffer.concat(chunks), { path: '/tmp' });
  // 200 idle processes and a client; their pids are kept so exactly these are stopped afterwards.
  const holder = execCapture(gw, name, [
    'sh', '-c',
    'for i in $(seq 200); do sleep 60 & echo $! >> /tmp/idbench.pids; done; python3 -c \'import socket,time; s=socket.create_connection(("127.0.0.1", 3128)); time.sleep(60)\' & echo $! >> /tmp/idbench.pids; wait',
  ]);
  await new Promise((r) => setTimeout(r, 1500));
  try {
    // Started as the supervisor is (boot.ts): through the launcher that leaves a netlink socket open.
    const text = await supervisorShell(name, `python3 -I -S -c "$${DIAG_LAUNCHER_ENV}" node /tmp/idbench.mjs 2>&1 | tail -1`);
    return JSON.parse(text.slice(text.indexOf('{'))) as PodIdentity;
  } finally {
    await execCapture(gw, name, ['sh', '-c', 'kill $(cat /tmp/idbench.pids); rm -f /tmp/idbench.pids']);
    await holder.catch(() => undefined);
  }
}

function reportIdentity(res: PodIdentity): void {
  const f = (xs: number[]): string => `${xs[0]!.toFixed(3)} / ${xs[1]!.toFixed(3)} ms`;
  console.log(`  identity lookup in the supervisor, ${res.tasks} processes in the pod, client ${res.binary} (p50 / p99):`);
  console.log(`    client seen before (recent owner, cached)  ${f(res.repeat)}   (target p50 < 0.3 ms)`);
  console.log(`      of which netlink lookup (${res.inProcess ? 'in process' : 'helper   '})       ${f(res.netlink)}`);
  console.log(`      of which /proc (holder, ancestors, TOFU) ${f(res.afterLocate)}`);
  console.log(`    new client (cold caches but TOFU)          ${f(res.cold)}`);
  console.log(`    same, /proc/net/tcp, no netlink            ${f(res.procfs)}`);
  console.log(`    holder sweep, one pass (off the path)      ${f(res.sweep)}   (SCM_RIGHTS / re-parented holders)`);
}

/** Median of each figure over rounds run one after the other (the machine is shared: one round can be noisy). */
function medianFigures(rounds: readonly Figures[]): Figures {
  const med = (k: keyof Figures): number => [...rounds.map((r) => r[k])].sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
  return { keepP50: med('keepP50'), keepP99: med('keepP99'), newP50: med('newP50'), newP99: med('newP99'), mbps: med('mbps') };
}

function targets(base: Figures, ours: Figures, squid: Figures | null, splice: Figures | null, floor: Figures, id: PodIdentity): void {
  const line = (ok: boolean, text: string): void => console.log(`  ${ok ? 'PASS' : 'MISS'}  ${text}`);
  const added = (a: number, b: number): string => `${((a - b) * 1000).toFixed(3)} ms`;
  console.log('targets:');
  line(ours.keepP50 - base.keepP50 < 0.0005, `keep-alive added p50 < 0.5 ms: ${added(ours.keepP50, base.keepP50)}`);
  line(ours.newP50 - base.newP50 < 0.0005, `new connection added p50 < 0.5 ms: ${added(ours.newP50, base.newP50)}`);
  line(ours.mbps >= 0.8 * base.mbps, `100 MB throughput >= 80% of direct: ${((100 * ours.mbps) / base.mbps).toFixed(0)}%`);
  if (squid) {
    line(ours.keepP50 <= squid.keepP50, `keep-alive p50 better than squid: ${ms(ours.keepP50)} vs ${ms(squid.keepP50)}`);
    line(ours.newP50 <= squid.newP50, `new connection p50 better than squid: ${ms(ours.newP50)} vs ${ms(squid.newP50)}`);
    line(ours.mbps >= squid.mbps, `throughput better than squid: ${ours.mbps.toFixed(0)} vs ${squid.mbps.toFixed(0)} MB/s`);
  } else console.log('  ----  squid comparisons: squid not installed');
  if (splice) {
    console.log(`  ----  ceiling, C splice relay in the proxy's place: new connection added ${added(splice.newP50, base.newP50)}, throughput ${((100 * splice.mbps) / base.mbps).toFixed(0)}% of direct`);
  }
  console.log(`  ----  floor of a Node relay in the proxy's place: new connection added ${added(floor.newP50, base.newP50)}; the proxy's own work adds ${added(ours.newP50, floor.newP50)} to that`);
  // Whether "better than squid" is within reach of any proxy in Node: the floor does no work at all.
  if (squid)
    console.log(`  ----  that floor against squid: new connection ${ms(floor.newP50)} vs ${ms(squid.newP50)}, keep-alive ${ms(floor.keepP50)} vs ${ms(squid.keepP50)}`);
  line(id.repeat[0]! < 0.3, `identity lookup p50 < 0.3 ms with ${id.tasks} processes (client seen before): ${id.repeat[0]!.toFixed(3)} ms`);
  line(id.cold[0]! < 0.3, `identity lookup p50 < 0.3 ms with ${id.tasks} processes (client never seen): ${id.cold[0]!.toFixed(3)} ms`);
}

export async function run(): Promise<void> {
  const images = await ensureImages(docker);
  const gw = new EmbeddedGateway();
  await gw.start();
  const name = `perf-bench-${process.pid}`;
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
    const id = await identityInPod(gw, name);
    reportIdentity(id);
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
    squid = await startSquid(name, ip);
    console.log(`through the proxy vs direct, ${N} requests each, ${ROUNDS} rounds (median), upstream node on ${EGRESS_NETWORK}:`);
    const splice = await startSpliceRelay(name);
    await startNodeRelay(name);
    const rounds: { base: Figures[]; ours: Figures[]; squid: Figures[]; splice: Figures[]; node: Figures[] } = { base: [], ours: [], squid: [], splice: [], node: [] };
    if (WARMUP > 0) {
      const warm = (run: (args: string[]) => Promise<string>, via?: string): Promise<string> =>
        run(['python3', '-c', CLIENT, 'new', ip, '8080', String(WARMUP), ...(via ? [via] : [])]);
      await warm(inDirect);
      await warm(inAgent, '127.0.0.1:3128');
      if (squid) await warm(inAgent, `127.0.0.1:${SQUID_PORT}`);
      if (splice) await warm(inAgent, '127.0.0.1:3132');
      await warm(inAgent, '127.0.0.1:3133');
      console.log(`  (after a warm-up of ${WARMUP} new connections through each path)`);
    }
    for (let i = 0; i < ROUNDS; i++) {
      // Interleaved, so noise from the shared machine spreads over all three.
      rounds.base.push(await measure(inDirect, ip));
      rounds.ours.push(await measure(inAgent, ip, '127.0.0.1:3128'));
      if (squid) rounds.squid.push(await measure(inAgent, ip, `127.0.0.1:${SQUID_PORT}`));
      if (splice) rounds.splice.push(await measure(inAgent, ip, '127.0.0.1:3132'));
      rounds.node.push(await measure(inAgent, ip, '127.0.0.1:3133'));
    }
    const base = medianFigures(rounds.base);
    const ours = medianFigures(rounds.ours);
    const sq = squid ? medianFigures(rounds.squid) : null;
    const sp = splice ? medianFigures(rounds.splice) : null;
    const floor = medianFigures(rounds.node);
    report('direct (container → upstream)', base);
    report('openshell proxy (identity + L4 + guard, CONNECT; bulk tunnels on splice after 1 MiB)', ours, base);
    if (sq) report("squid (allow-all CONNECT in the pod's network namespace: the proxy's path)", sq, base);
    else console.log('  squid: not installed (apt-get install -y squid) — skipped');
    if (sp) report('C splice relay in the supervisor (no identity, policy or events: the ceiling)', sp, base);
    else console.log('  splice relay: gcc not found — skipped');
    report('minimal Node relay in the supervisor (target, dial, 200, pipe: the floor for Node)', floor, base);
    targets(base, ours, sq, sp, floor, id);
  } finally {
    squid?.kill('SIGKILL');
    for (const c of containers) await docker.getContainer(c).remove({ force: true }).catch(() => undefined);
    await gw.deleteSandbox(name).catch(() => undefined);
  }
}
