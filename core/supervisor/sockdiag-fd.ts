import { readSync, writeSync } from 'node:fs';
import { isIPv4 } from 'node:net';

/**
 * NETLINK_SOCK_DIAG on a socket this process inherited (boot.ts opens it in a tiny launcher before
 * exec'ing Node, which cannot open netlink sockets itself). The kernel answers a by-tuple query while
 * the request is being written, so a lookup is one write and one read on this thread: no helper process
 * to wake, which on 2 cores costs more than the lookup. The socket is non-blocking: a missing answer is
 * an error here, never a stall; the caller then asks the helper instead.
 */

/** The environment variable naming the inherited descriptor. */
export const DIAG_FD_ENV = 'OPENSHELL_DIAG_FD';

const SOCK_DIAG_BY_FAMILY = 20;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 1;
const AF_INET = 2;
const IPPROTO_TCP = 6;
/** nlmsghdr (16) + inet_diag_req_v2 (8 + inet_diag_sockid 48). */
const REQUEST_BYTES = 72;
/** In the answer: nlmsghdr (16) + family, state, timer, retrans (4) + sockid (48) + expires, rqueue, wqueue (12). */
const UID_AT = 80;
const INODE_AT = 84;

/** One end of a TCP connection. */
export interface DiagEndpoint {
  readonly ip: string;
  readonly port: number;
}

/** What the kernel says of a socket: its inode and the uid that created it. */
export interface DiagAnswer {
  readonly inode: number;
  readonly uid: number;
}

/** The launcher's descriptor, or null when there is none (started another way, or netlink was refused). */
export function inheritedDiagFd(env: NodeJS.ProcessEnv = process.env): number | null {
  const raw = env[DIAG_FD_ENV];
  if (raw === undefined || !/^\d{1,6}$/.test(raw)) return null;
  const fd = Number(raw);
  return fd > 2 ? fd : null;
}

export class FdSockDiag {
  private seq = 0;
  private readonly request = Buffer.alloc(REQUEST_BYTES);
  private readonly answer = Buffer.alloc(8192);

  constructor(private readonly fd: number) {}

  /**
   * The inode and uid of the IPv4 TCP socket `local` → `remote`; null when the kernel has no such socket.
   * Throws when the query cannot be made or answered at once (the caller falls back); IPv6 is left to it.
   */
  lookup(local: DiagEndpoint, remote: DiagEndpoint): DiagAnswer | null {
    if (!isIPv4(local.ip) || !isIPv4(remote.ip)) throw new Error('IPv6 lookups go to the helper');
    const seq = (this.seq = (this.seq % 0x7fffffff) + 1);
    const r = this.request.fill(0);
    r.writeUInt32LE(REQUEST_BYTES, 0);
    r.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
    r.writeUInt16LE(NLM_F_REQUEST, 6);
    r.writeUInt32LE(seq, 8);
    r.writeUInt8(AF_INET, 16);
    r.writeUInt8(IPPROTO_TCP, 17);
    r.writeUInt32LE(0xffffffff, 20); // every state
    r.writeUInt16BE(local.port, 24);
    r.writeUInt16BE(remote.port, 26);
    writeIPv4(r, 28, local.ip);
    writeIPv4(r, 44, remote.ip);
    r.writeUInt32LE(0xffffffff, 64); // no cookie
    r.writeUInt32LE(0xffffffff, 68);
    if (writeSync(this.fd, r) !== REQUEST_BYTES) throw new Error('short netlink write');
    // Answers to earlier queries that were given up on are skipped by their sequence number.
    for (;;) {
      const n = readSync(this.fd, this.answer, 0, this.answer.length, null);
      if (n < 16) throw new Error('short netlink answer');
      if (this.answer.readUInt32LE(8) !== seq) continue;
      const type = this.answer.readUInt16LE(4);
      if (type === NLMSG_ERROR) return null;
      if (type !== SOCK_DIAG_BY_FAMILY || n < INODE_AT + 4) throw new Error(`unexpected netlink answer (type ${type})`);
      const inode = this.answer.readUInt32LE(INODE_AT);
      return inode ? { inode, uid: this.answer.readUInt32LE(UID_AT) } : null;
    }
  }
}

function writeIPv4(buf: Buffer, at: number, ip: string): void {
  const parts = ip.split('.');
  for (let i = 0; i < 4; i++) buf.writeUInt8(Number(parts[i]), at + i);
}

/**
 * The launcher (python3, in the supervisor image; about 7 ms, after the fence is up): opens the netlink
 * socket, leaves it open across exec and names it in the environment, then becomes Node. Without netlink
 * it still becomes Node. Node's own helpers inherit the socket too (Node cannot mark it close-on-exec);
 * agent processes never do: they run in the sandbox container, not under the supervisor.
 */
export const DIAG_LAUNCHER_ENV = 'OPENSHELL_DIAG_LAUNCHER';
export const DIAG_LAUNCHER = [
  'import os, sys, _socket',
  `os.environ.pop("${DIAG_LAUNCHER_ENV}", None)`,
  'try:',
  '    s = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_DGRAM | _socket.SOCK_NONBLOCK, 4)',
  '    os.set_inheritable(s.fileno(), True)',
  `    os.environ["${DIAG_FD_ENV}"] = str(s.fileno())`,
  'except (OSError, AttributeError):',
  '    pass',
  'os.execvp(sys.argv[1], sys.argv[1:])',
].join('\n');
