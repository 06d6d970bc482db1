import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identifier, type Identity } from '../../../core/supervisor/identity.ts';
import { CMDLINE_MAX, procReader, type ProcReader } from '../../../core/supervisor/procfs.ts';
import { SockDiag } from '../../../core/supervisor/sockdiag.ts';
import { TofuCache } from '../../../core/supervisor/tofu.ts';

let server: Server | undefined;
const children: ChildProcess[] = [];
afterEach(() => {
  server?.close();
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** Starts `exe` as a client that connects to a local listener and waits; resolves with the accepted socket. */
async function clientVia(exe: string): Promise<{ socket: Socket; child: ChildProcess }> {
  server = createServer();
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const accepted = new Promise<Socket>((r) => server!.once('connection', r));
  const child = spawn(exe, ['-e', `require("net").connect(${port}, "127.0.0.1"); setTimeout(() => {}, 30000)`, 'script-arg'], { stdio: 'ignore' });
  children.push(child);
  return { socket: await accepted, child };
}

const ends = (s: Socket) => [
  { ip: s.remoteAddress!, port: s.remotePort! },
  { ip: s.localAddress!, port: s.localPort! },
] as const;

describe('binary identity from /proc', () => {
  it('finds the process behind an accepted connection, its kernel-resolved executable and ancestors', async () => {
    const { socket, child } = await clientVia(process.execPath);
    const id = await new Identifier(procReader(), new TofuCache(), -1).identify(...ends(socket));
    expect(id).toMatchObject({ ok: true, binary: realpathSync(process.execPath), pid: child.pid });
    expect(id.ok && id.ancestors[0]).toBe(realpathSync('/proc/self/exe'));
    expect(id.cmdline).toContain('script-arg');
    expect(id.ok && id.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('follows symlinks: a link to the binary is judged as the binary', async () => {
    const link = join(mkdtempSync(join(tmpdir(), 'ident-')), 'my-node');
    symlinkSync(process.execPath, link);
    const { socket } = await clientVia(link);
    const id = await new Identifier(procReader(), new TofuCache(), -1).identify(...ends(socket));
    expect(id).toMatchObject({ ok: true, binary: realpathSync(process.execPath) });
    expect(id.cmdline?.[0]).toBe(link);
  });

  it('finds the same process through the netlink lookup as through /proc/net/tcp', async () => {
    const { socket, child } = await clientVia(process.execPath);
    const diag = new SockDiag();
    const found = await diag.lookup(...ends(socket));
    const viaProc = new Identifier(procReader(), new TofuCache(), -1).socketFromProc(...ends(socket))?.inode;
    diag.close();
    expect(found?.inode).toBe(viaProc);
    const id = await new Identifier(procReader(), new TofuCache(), -1, new SockDiag()).identify(...ends(socket));
    expect(id).toMatchObject({ ok: true, pid: child.pid });
  });

  it('says who is unknown when no socket matches', async () => {
    const id = await new Identifier().identify({ ip: '127.0.0.1', port: 1 }, { ip: '127.0.0.1', port: 2 });
    expect(id).toMatchObject({ ok: false, error: 'identity_unknown', binary: '' });
  });

  it('denies a socket shared by processes with different executables as ambiguous', async () => {
    const { proc } = fakeProc({
      fds: { 10: ['socket:[555]'], 11: ['socket:[555]'], 12: [] },
      exe: { 10: '/usr/bin/python3.11', 11: '/usr/bin/curl', 12: '/usr/bin/bash' },
      ppid: { 11: 10, 10: 12, 12: 0 },
    });
    const id = await new Identifier(proc, fakeTofu(), -1).identify(FAKE_PEER, FAKE_PROXY);
    expect(id).toMatchObject({ ok: false, error: 'identity_ambiguous', binary: '/usr/bin/curl', pid: 11 });
    expect(id.ok ? '' : id.reason).toContain('/usr/bin/python3.11');
  });

  it('does not look into relatives that run the same executable, and still finds one of another that holds the socket', async () => {
    // 11 connected; its parent 10 (same binary) and its child 13 (same binary) share the socket; 12 is bash.
    const world = {
      fds: { 10: ['socket:[555]'], 11: ['socket:[555]'], 12: ['pipe:[1]'], 13: ['socket:[555]'] } as Record<number, string[]>,
      exe: { 10: '/usr/bin/curl', 11: '/usr/bin/curl', 12: '/usr/bin/bash', 13: '/usr/bin/curl' },
      ppid: { 13: 11, 11: 10, 10: 12, 12: 0 },
    };
    const first = fakeProc(world);
    const ok = await new Identifier(first.proc, fakeTofu(), -1).identify(FAKE_PEER, FAKE_PROXY);
    expect(ok).toMatchObject({ ok: true, binary: '/usr/bin/curl', pid: 13, ancestors: ['/usr/bin/curl', '/usr/bin/curl', '/usr/bin/bash'] });
    // Found at 13 (newest pid first); then only bash's descriptors were listed among its relatives.
    expect(first.listed).toEqual([13, 12]);
    // bash gets a copy of the socket: ambiguous.
    world.fds[12] = ['pipe:[1]', 'socket:[555]'];
    const shared = await new Identifier(fakeProc(world).proc, fakeTofu(), -1).identify(FAKE_PEER, FAKE_PROXY);
    expect(shared).toMatchObject({ ok: false, error: 'identity_ambiguous', pid: 13 });
    expect(shared.ok ? '' : shared.reason).toContain('`/usr/bin/bash` (pid 12)');
  });
});

/** The client socket of the fake /proc below: 127.0.0.1:0xA3F2 → the proxy, inode 555, uid 1000. */
const FAKE_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   1: 0100007F:A3F2 0100007F:0C38 01 00000000:00000000 00:00000000 00000000  1000        0 555 1 0 20 4 30 10 -1`;
const FAKE_PEER = { ip: '127.0.0.1', port: 0xa3f2 };
const FAKE_PROXY = { ip: '127.0.0.1', port: 3128 };
const fakeTofu = (): TofuCache => new TofuCache({ stat: () => ({ size: 1, mtimeMs: 1, ctimeMs: 1, dev: 1, ino: 1 }), hash: () => Promise.resolve('sha256:x') });

/** A /proc of a few processes (pids newest first), recording whose descriptors were listed. */
function fakeProc(w: { fds: Record<number, string[]>; exe: Record<number, string>; ppid: Record<number, number> }): { proc: ProcReader; listed: number[] } {
  const listed: number[] = [];
  const proc: ProcReader = {
    root: '/nonexistent',
    pids: () => Object.keys(w.exe).map(Number).sort((a, b) => b - a),
    fds: (pid) => (listed.push(pid), (w.fds[pid] ?? []).map((_, i) => String(i))),
    uid: () => 1000,
    fdLink: (pid, fd) => w.fds[pid]?.[Number(fd)] ?? null,
    exe: (pid) => w.exe[pid] ?? null,
    stat: (pid) => (w.ppid[pid] === undefined ? null : { ppid: w.ppid[pid], threads: 1 }),
    cmdline: () => ['x'],
    children: (pid) => Object.entries(w.ppid).filter(([, p]) => p === pid).map(([c]) => Number(c)),
    netTcp: (f) => (f === 4 ? FAKE_TCP : ''),
  };
  return { proc, listed };
}

/** Python that opens a connection per line read: the first replaced by the second, the third beside it. */
const RECONNECTER = `
import socket, sys
addr = ("127.0.0.1", int(sys.argv[1]))
a = socket.create_connection(addr); print(a.fileno(), flush=True); sys.stdin.readline()
a.close(); b = socket.create_connection(addr); print(b.fileno(), flush=True); sys.stdin.readline()
c = socket.create_connection(addr); print(c.fileno(), flush=True); sys.stdin.readline()
`;

/** A /proc reader that counts how often each process's descriptors are listed. */
function countingReader(): { proc: ProcReader; listings: (pid: number) => number } {
  const real = procReader();
  const n = new Map<number, number>();
  return {
    proc: {
      ...real,
      fds: (pid) => {
        n.set(pid, (n.get(pid) ?? 0) + 1);
        return real.fds(pid);
      },
    },
    listings: (pid) => n.get(pid) ?? 0,
  };
}

describe('a client that keeps connecting', () => {
  it('is found again by the descriptor its last socket had, and by a full look when that misses', async () => {
    server = createServer();
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const accepted: Socket[] = [];
    server.on('connection', (s) => accepted.push(s));
    const child = spawn('/usr/bin/python3', ['-c', RECONNECTER, String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
    children.push(child);
    // Whole lines only: a pipe may deliver one in pieces.
    const lines: string[] = [];
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
    });
    const next = async (n: number): Promise<Socket> => {
      while (lines.length < n || accepted.length < n) await new Promise((r) => setTimeout(r, 5));
      return accepted[n - 1]!;
    };
    const { proc, listings } = countingReader();
    const ident = new Identifier(proc, new TofuCache(), -1);
    // As the supervisor does once netlink named the socket (without netlink here: /proc/net/tcp names it).
    const identify = (s: Socket) => {
      const found = ident.socketFromProc(...ends(s));
      return ident.identifyInode(found?.inode ?? null, ends(s)[0], found?.uid);
    };

    expect(await identify(await next(1))).toMatchObject({ ok: true, pid: child.pid });
    // The first socket closed, the next one took its descriptor: no listing of any process's descriptors.
    child.stdin.write('\n');
    const second = await next(2);
    expect(lines[1]).toBe(lines[0]);
    const before = listings(child.pid!);
    expect(await identify(second)).toMatchObject({ ok: true, pid: child.pid });
    // Its descriptors were not listed: one readlink of the known one proved it holds the new socket.
    expect(listings(child.pid!)).toBe(before);
    // A socket at another descriptor (the second is still open there): found all the same.
    child.stdin.write('\n');
    const third = await next(3);
    expect(lines[2]).not.toBe(lines[1]);
    expect(await identify(third)).toMatchObject({ ok: true, pid: child.pid, binary: realpathSync('/usr/bin/python3') });
  });
});

describe('process facts from /proc', () => {
  it('reads a process kept open afresh each time: after it execs, and not at all once it has exited', async () => {
    const proc = procReader();
    const child = spawn('/bin/sh', ['-c', 'read x; exec sleep 30'], { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(child);
    await new Promise((r) => setTimeout(r, 100));
    const pid = child.pid!;
    expect(proc.cmdline(pid)).toEqual(['/bin/sh', '-c', 'read x; exec sleep 30']);
    expect(proc.stat(pid)?.ppid).toBe(process.pid);
    child.stdin.write('go\n');
    let now = proc.cmdline(pid);
    for (let i = 0; i < 50 && now?.[0] !== 'sleep'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      now = proc.cmdline(pid);
    }
    expect(now).toEqual(['sleep', '30']);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 50));
    expect(proc.cmdline(pid)).toBeNull();
    expect(proc.stat(pid)).toBeNull();
  });

  it('reads at most the first KiB of a command line, and marks an argument cut there', async () => {
    const proc = procReader();
    const long = 'é'.repeat(30_000);
    const child = spawn('/usr/bin/python3', ['-c', 'import time; time.sleep(30)', 'first!', long], { stdio: 'ignore' });
    children.push(child);
    await new Promise((r) => setTimeout(r, 100));
    const args = proc.cmdline(child.pid!)!;
    expect(args.slice(0, 4)).toEqual(['/usr/bin/python3', '-c', 'import time; time.sleep(30)', 'first!']);
    expect(args).toHaveLength(5);
    // Cut on a character (no U+FFFD from half of 'é'), marked, and the whole well under the 60 KB argument.
    expect(args[4]).toMatch(/^é+…$/);
    expect(Buffer.byteLength(args.join('\0'))).toBeLessThanOrEqual(CMDLINE_MAX + Buffer.byteLength('…'));
    // A command line that fits is read whole, with no mark.
    const short = spawn('/bin/sh', ['-c', 'sleep 30'], { stdio: 'ignore' });
    children.push(short);
    await new Promise((r) => setTimeout(r, 100));
    expect(proc.cmdline(short.pid!)).toEqual(['/bin/sh', '-c', 'sleep 30']);
  });

  it('reads the parent and the thread count, and the children of a single-threaded process without listing its tasks', async () => {
    const proc = procReader();
    const me = proc.stat(process.pid);
    expect(me?.ppid).toBe(process.ppid);
    // Node runs several threads (V8 platform workers, libuv).
    expect(me?.threads).toBeGreaterThan(1);
    const parent = spawn('python3', ['-c', 'import subprocess, sys; p = subprocess.Popen(["sleep", "30"]); print(p.pid, flush=True); sys.stdin.readline()'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    children.push(parent);
    const grandchild = Number(await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(d.toString()))));
    const st = proc.stat(parent.pid!);
    expect(st).toEqual({ ppid: process.pid, threads: 1 });
    expect(proc.children(parent.pid!, st!.threads)).toEqual([grandchild]);
    expect(proc.children(parent.pid!)).toEqual([grandchild]);
    expect(proc.stat(grandchild)?.ppid).toBe(parent.pid);
    process.kill(grandchild, 'SIGKILL');
  });
});

/** Python that connects to the listener and hands the socket to whoever connects to a unix socket. */
const SENDER = `
import socket, sys, time
t = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
u = socket.socket(socket.AF_UNIX); u.bind(sys.argv[2]); u.listen(1)
c, _ = u.accept()
socket.send_fds(c, [b"x"], [t.fileno()])
if sys.argv[3] == "close":
    t.close()
time.sleep(30)
`;
/** Receives one descriptor over a unix socket and holds it. */
const RECEIVER = `
import socket, sys, time
u = socket.socket(socket.AF_UNIX)
for _ in range(200):
    try:
        u.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.01)
msg, fds, _, _ = socket.recv_fds(u, 1, 4)
print(fds[0], flush=True)
time.sleep(30)
`;

describe('a socket passed to an unrelated process (SCM_RIGHTS)', () => {
  /** python3 connects; a copy of python3 at another path (not its relative) receives the descriptor. */
  async function handOff(mode: 'keep' | 'close'): Promise<{ socket: Socket; sender: ChildProcess; receiver: ChildProcess; other: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'ident-scm-'));
    const other = join(dir, 'other-python');
    copyFileSync(realpathSync('/usr/bin/python3'), other);
    server = createServer();
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const accepted = new Promise<Socket>((r) => server!.once('connection', r));
    const sock = join(dir, 'pass.sock');
    const sender = spawn('python3', ['-c', SENDER, String(port), sock, mode], { stdio: 'ignore' });
    const receiver = spawn(other, ['-c', RECEIVER, sock], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(sender, receiver);
    await new Promise((r) => receiver.stdout.once('data', r));
    // The sender closes its copy right after sending: give it a moment.
    if (mode === 'close') await new Promise((r) => setTimeout(r, 100));
    return { socket: await accepted, sender, receiver, other: realpathSync(other) };
  }

  it('reports the socket as ambiguous right after admission while the sender and the receiver (another binary) both hold it', async () => {
    const { socket, sender, receiver, other } = await handOff('keep');
    const identifier = new Identifier(procReader(), new TofuCache(), -1, new SockDiag());
    // Not a relative of the sender: the connection's path does not see it (a full scan is too slow there)...
    const id = await identifier.identify(...ends(socket));
    expect(id.ok).toBe(true);
    expect([sender.pid, receiver.pid]).toContain(id.pid);
    // ...the holder sweep does, before long.
    const shared: string[] = [];
    identifier.watchHolders(id as Identity, (f) => shared.push(`${f.error}: ${f.reason}`));
    await identifier.sweep.settled();
    expect(shared).toHaveLength(1);
    expect(shared[0]).toContain('identity_ambiguous');
    expect(shared[0]).toContain(`\`${other}\` (pid ${receiver.pid})`);
    expect(shared[0]).toContain(`(pid ${sender.pid})`);
  });

  it('finds nothing to report for a socket held by one process, and batches connections into one pass', async () => {
    const { socket, child } = await clientVia(process.execPath);
    const identifier = new Identifier(procReader(), new TofuCache(), -1);
    const id = await identifier.identify(...ends(socket));
    expect(id).toMatchObject({ ok: true, pid: child.pid });
    const shared: unknown[] = [];
    for (let i = 0; i < 5; i++) identifier.watchHolders(id as Identity, (f) => shared.push(f));
    await identifier.sweep.settled();
    expect(shared).toEqual([]);
    expect(identifier.sweep.passes).toBe(1);
  });

  it('judges the receiver alone once the sender has closed its copy', async () => {
    const { socket, receiver, other } = await handOff('close');
    const identifier = new Identifier(procReader(), new TofuCache(), -1);
    const id = await identifier.identify(...ends(socket));
    expect(id).toMatchObject({ ok: true, binary: other, pid: receiver.pid });
    const shared: unknown[] = [];
    identifier.watchHolders(id as Identity, (f) => shared.push(f));
    await identifier.sweep.settled();
    expect(shared).toEqual([]);
  });
});

describe('the netlink socket lookup', () => {
  it('answers null (so /proc/net/tcp is used) when its helper cannot run', async () => {
    const diag = new SockDiag('/nonexistent/python3');
    expect(await diag.lookup({ ip: '127.0.0.1', port: 1 }, { ip: '127.0.0.1', port: 2 })).toBeNull();
    expect(await diag.lookup({ ip: '127.0.0.1', port: 1 }, { ip: '127.0.0.1', port: 2 })).toBeNull();
    diag.close();
  });

  it('answers null for a tuple with no socket', async () => {
    const diag = new SockDiag();
    expect(await diag.lookup({ ip: '127.0.0.1', port: 1 }, { ip: '127.0.0.1', port: 2 })).toBeNull();
    diag.close();
  });
});
