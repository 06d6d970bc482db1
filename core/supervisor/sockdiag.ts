import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { isIPv4 } from 'node:net';
import { createInterface } from 'node:readline';
import { FdSockDiag, inheritedDiagFd, type DiagAnswer, type DiagEndpoint } from './sockdiag-fd.ts';

export type { DiagAnswer, DiagEndpoint };

/**
 * Finds the inode of one TCP socket by its exact 4-tuple with NETLINK_SOCK_DIAG: a hash lookup in the
 * kernel, where reading /proc/net/tcp walks the whole (host-sized) table — milliseconds per read on big
 * hosts. Node cannot open netlink sockets: with one inherited from the launcher (`sockdiag-fd.ts`) the
 * query runs on this thread; otherwise, or when that fails, a small python3 helper in the supervisor
 * image does it. Any failure answers null and the caller falls back to /proc/net/tcp.
 */

const HELPER = `
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)
s.settimeout(1)
seq = 0
rd, wr = sys.stdin.buffer, sys.stdout
while True:
    line = rd.readline()
    if not line:
        break
    out = "0 0"
    try:
        fam, sip, sport, dip, dport = line.decode().split()
        af = socket.AF_INET if fam == "4" else socket.AF_INET6
        pad = lambda ip: socket.inet_pton(af, ip).ljust(16, b"\\0")
        seq += 1
        sockid = struct.pack(">HH", int(sport), int(dport)) + pad(sip) + pad(dip) + struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF)
        req = struct.pack("=BBBBI", af, 6, 0, 0, 0xFFFFFFFF) + sockid
        s.send(struct.pack("=IHHII", 16 + len(req), 20, 1, seq, 0) + req)
        while True:
            data = s.recv(65536)
            length, typ, flags, rseq = struct.unpack_from("=IHHI", data, 0)
            if rseq == seq:
                break
        if typ == 20:
            uid, inode = struct.unpack_from("=II", data, 16 + 64)
            out = "%d %d" % (inode, uid)
    except Exception:
        out = "0 0"
    wr.write(out + "\\n")
    wr.flush()
`;

/** An answer takes well under a millisecond; the first one also waits for python3 to start. */
const TIMEOUT_MS = 250;
const FIRST_TIMEOUT_MS = 3_000;
/** Restarts allowed before the helper is given up for good (then /proc/net/tcp answers). */
const MAX_FAILURES = 5;

export class SockDiag {
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly waiting: ((line: string | null) => void)[] = [];
  private failures = 0;
  private answered = false;
  private direct: FdSockDiag | null;
  private directFailures = 0;

  constructor(
    private readonly python = 'python3',
    fd: number | null = inheritedDiagFd(),
  ) {
    this.direct = fd === null ? null : new FdSockDiag(fd);
  }

  /** Whether lookups run on this thread (an inherited netlink socket) rather than in the helper. */
  get inProcess(): boolean {
    return this.direct !== null;
  }

  /**
   * The answer from the inherited socket, at once; undefined when there is none to ask or it could not
   * answer (then `lookup` asks the helper). Repeated failures give the inherited socket up.
   */
  lookupNow(local: DiagEndpoint, remote: DiagEndpoint): DiagAnswer | null | undefined {
    if (!this.direct || !isIPv4(local.ip) || !isIPv4(remote.ip)) return undefined;
    try {
      const found = this.direct.lookup(local, remote);
      this.directFailures = 0;
      return found;
    } catch {
      if (++this.directFailures >= MAX_FAILURES) this.direct = null;
      return undefined;
    }
  }

  /** The inode and uid of the socket whose local end is `local` and remote end is `remote`, or null. */
  lookup(local: DiagEndpoint, remote: DiagEndpoint): Promise<DiagAnswer | null> {
    const now = this.lookupNow(local, remote);
    return now !== undefined ? Promise.resolve(now) : this.askHelper(local, remote);
  }

  /** The helper's answer only: for a caller that has just had `lookupNow` fail (it is not asked twice). */
  async askHelper(local: DiagEndpoint, remote: DiagEndpoint): Promise<DiagAnswer | null> {
    const child = this.ensure();
    if (!child) return null;
    const v4 = isIPv4(local.ip) && isIPv4(remote.ip);
    const line = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => this.fail(), this.answered ? TIMEOUT_MS : FIRST_TIMEOUT_MS);
      this.waiting.push((l) => {
        clearTimeout(timer);
        if (l !== null) this.answered = true;
        resolve(l);
      });
      child.stdin.write(`${v4 ? 4 : 6} ${local.ip} ${local.port} ${remote.ip} ${remote.port}\n`);
    });
    const [inode, uid] = (line ?? '0 0').split(' ').map(Number);
    return inode ? { inode, uid: uid ?? 0 } : null;
  }

  close(): void {
    this.child?.kill();
    this.child = null;
  }

  private ensure(): ChildProcessWithoutNullStreams | null {
    if (this.failures >= MAX_FAILURES) return null;
    if (this.child) return this.child;
    try {
      const child = spawn(this.python, ['-c', HELPER], { stdio: ['pipe', 'pipe', 'pipe'] });
      // Events of a helper already replaced must not touch its successor.
      const failThis = (): void => {
        if (this.child === child) this.fail();
      };
      child.on('error', failThis);
      child.on('exit', failThis);
      child.stdin.on('error', failThis);
      child.stderr.resume();
      createInterface({ input: child.stdout }).on('line', (l) => {
        if (this.child === child) this.waiting.shift()?.(l);
      });
      child.unref();
      this.child = child;
      return child;
    } catch {
      this.failures = MAX_FAILURES;
      return null;
    }
  }

  /** A slow or dead helper is replaced on the next lookup; after repeated failures it is given up. */
  private fail(): void {
    if (!this.child) return;
    this.failures++;
    this.answered = false;
    this.child.kill();
    this.child = null;
    for (const w of this.waiting.splice(0)) w(null);
  }
}
