import { findClientSocket, parseProcNetTcp } from './procnet.ts';
import { holdsSocket, procReader, socketFd, type ProcReader } from './procfs.ts';
import { HolderSweep, type SharedHolder } from './holder-sweep.ts';
import type { DiagAnswer, DiagEndpoint, SockDiag } from './sockdiag.ts';
import { TofuCache } from './tofu.ts';

/**
 * Who opened a proxy connection (DESIGN.md, upstream §2.2): peer port → client socket inode in
 * /proc/net/tcp{,6} → the process holding `socket:[inode]` → its kernel-resolved executable and ancestors.
 */

export interface Identity {
  readonly ok: true;
  readonly binary: string;
  readonly pid: number;
  /** Executables of the ancestors, nearest first. */
  readonly ancestors: readonly string[];
  /** argv of the process: logged, never trusted. */
  readonly cmdline: readonly string[];
  readonly hash: string;
  /** The client socket's inode: what the holder sweep looks for in every other process. */
  readonly inode?: number;
}

export interface IdentityFailure {
  readonly ok: false;
  readonly error: 'identity_unknown' | 'identity_ambiguous' | 'binary_tampered';
  readonly reason: string;
  readonly binary: string;
  readonly pid?: number;
  readonly ancestors?: readonly string[];
  readonly cmdline?: readonly string[];
}

export type IdentityResult = Identity | IdentityFailure;

/** The client socket's inode and creator uid, and one end of a connection: the socket lookup's own types. */
export type Located = DiagAnswer;
export type Endpoint = DiagEndpoint;

/** One process as read for identification. */
interface ProcessSnapshot {
  readonly pid: number;
  /** Targets of its open descriptors (`socket:[inode]`, files…). */
  readonly links: ReadonlySet<string>;
  readonly chain: readonly number[];
  /** Its thread count when read (undefined: unknown), so its children are found without listing its tasks. */
  readonly threads: number | undefined;
  readonly binary: string | null;
  readonly cmdline: readonly string[];
  readonly ancestors: readonly string[];
}

const MRU_SIZE = 32;
const MAX_ANCESTORS = 32;

export class Identifier {
  /** Recent socket owners first: long-lived clients (an agent's HTTP pool) are found without a full scan. */
  private readonly recent: number[] = [];
  /**
   * For each recent owner, the descriptor its last socket was found at. A client that closes a socket and
   * opens the next one usually gets the same number back: one readlink then proves it holds the new one.
   */
  private readonly lastFd = new Map<number, string>();
  private readonly stopAt: ReadonlySet<number>;
  /** Every other process, looked at right after admission (SCM_RIGHTS, re-parented children). */
  readonly sweep: HolderSweep;

  constructor(
    private readonly proc: ProcReader = procReader(),
    readonly tofu: TofuCache = new TofuCache(),
    selfPid: number = process.pid,
    /** Fast socket lookup; without it (or when it fails) /proc/net/tcp is read. */
    private readonly diag: SockDiag | null = null,
  ) {
    this.stopAt = new Set([0, 1, selfPid]);
    this.sweep = new HolderSweep(proc, this.stopAt);
  }

  /**
   * Has the sweep check that no unrelated process of another executable holds the identified socket;
   * `onShared` gets the ambiguity as a failure (the caller closes the connection). Returns an unwatch.
   */
  watchHolders(id: Identity, onShared: (failure: IdentityFailure) => void): () => void {
    if (id.inode === undefined) return () => undefined;
    const link = `socket:[${id.inode}]`;
    return this.sweep.watch(id.inode, id.pid, id.binary, (other) =>
      onShared({
        ok: false,
        error: 'identity_ambiguous',
        binary: id.binary,
        pid: id.pid,
        ancestors: id.ancestors,
        cmdline: id.cmdline,
        reason: `ambiguous shared socket ownership: ${link} is held by \`${id.binary}\` (pid ${id.pid}) and \`${other.exe}\` (pid ${other.pid})`,
      }),
    );
  }

  async identify(peer: Endpoint, proxy: Endpoint): Promise<IdentityResult> {
    // An inherited netlink socket answers on this thread: the owner is then looked for knowing the socket.
    const now = this.diag?.lookupNow(peer, proxy);
    if (now !== undefined) {
      const found = now ?? this.socketFromProc(peer, proxy);
      return this.identifyInode(found?.inode ?? null, peer, found?.uid);
    }
    const lookup = this.locate(peer, proxy, true);
    // While the helper answers (a process wake-up, ~0.1 ms on a busy machine), the most recent owner is
    // read: usually the same client again. It counts only if its descriptors, read after this connection
    // was accepted, hold the socket the helper names; otherwise the lookup runs as if it had not been read.
    const guess = this.recent[0];
    const early = guess === undefined ? null : this.readProcess(guess);
    const found = (await lookup) ?? this.socketFromProc(peer, proxy);
    return this.identifyInode(found?.inode ?? null, peer, found?.uid, early);
  }

  /**
   * The client socket's inode and uid by netlink (null without the helper, or when it misses); with
   * `helperOnly`, the inherited socket (which just failed) is not asked again. Not started at accept:
   * measured on 2 cores, the helper then competes with the client still sending its request.
   */
  async locate(peer: Endpoint, proxy: Endpoint, helperOnly = false): Promise<Located | null> {
    try {
      return (await (helperOnly ? this.diag?.askHelper(peer, proxy) : this.diag?.lookup(peer, proxy))) ?? null;
    } catch {
      return null;
    }
  }

  /** The slow path: /proc/net/tcp first (the proxy listens on IPv4), tcp6 only when that misses. */
  socketFromProc(peer: Endpoint, proxy: Endpoint): Located | null {
    return (
      findClientSocket(parseProcNetTcp(this.proc.netTcp(4)), peer, proxy) ??
      findClientSocket(parseProcNetTcp(this.proc.netTcp(6)), peer, proxy)
    );
  }

  /** Everything after the socket is known: holder, executable, ancestors, sharing and TOFU checks. */
  async identifyInode(inode: number | null, peer: Endpoint, uid?: number, early: ProcessSnapshot | null = null): Promise<IdentityResult> {
    const unknown = (reason: string): IdentityFailure => ({ ok: false, error: 'identity_unknown', reason, binary: '' });
    if (inode === null) return unknown(`no socket for ${peer.ip}:${peer.port} in this namespace (the client closed it, or it is outside)`);
    const link = `socket:[${inode}]`;
    const read = early?.links.has(link) ? early : null;
    const owner = read ? this.remember(read.pid) : this.findOwner(link, uid);
    if (owner === null) return unknown(`no process holds ${link} (it exited, or it is outside this pid namespace)`);
    const { chain, threads, binary, cmdline, ancestors } = read ?? this.readProcess(owner, false);
    if (binary === null) return unknown(`process ${owner} exited before it could be identified`);
    const seen = { pid: owner, ancestors, cmdline };
    const other = this.otherHolder(owner, binary, threads, chain, ancestors, link);
    if (other)
      return {
        ok: false,
        error: 'identity_ambiguous',
        binary,
        ...seen,
        reason: `ambiguous shared socket ownership: ${link} is held by \`${binary}\` (pid ${owner}) and \`${other.exe}\` (pid ${other.pid})`,
      };
    let hash = '';
    for (const [pid, exe] of [[owner, binary] as const, ...chain.map((p, i) => [p, ancestors[i]!] as const)]) {
      if (exe === '') continue;
      let t;
      try {
        const via = `${this.proc.root}/${pid}/exe`;
        t = this.tofu.checkKnown(exe, via) ?? (await this.tofu.check(exe, via));
      } catch {
        return unknown(`could not read the executable of process ${pid}`);
      }
      if (!t.ok) return { ok: false, error: 'binary_tampered', binary, ...seen, reason: t.reason };
      if (pid === owner) hash = t.hash;
    }
    return { ok: true, binary, ...seen, hash, inode };
  }

  /**
   * Recent owners, then newest pids first (a client just started has a high pid), those running as the
   * socket's creator before the rest (a stat is cheaper than listing descriptors); stops at the first holder.
   */
  private findOwner(link: string, uid: number | undefined): number | null {
    const holding = (pid: number): boolean => {
      const fd = socketFd(this.proc, pid, link);
      if (fd !== null) this.remember(pid, fd);
      return fd !== null;
    };
    for (const pid of this.recent) {
      const hint = this.lastFd.get(pid);
      if (hint !== undefined && this.proc.fdLink(pid, hint) === link) return this.remember(pid, hint);
      if (holding(pid)) return pid;
    }
    // Listed only on a miss: listing /proc costs more than the rest of a lookup with a recent owner.
    const pids = this.proc.pids().sort((a, b) => b - a);
    const skip = new Set([...this.recent, ...this.stopAt]);
    const later: number[] = [];
    for (const pid of pids) {
      if (skip.has(pid)) continue;
      if (uid !== undefined && this.proc.uid(pid) !== uid) later.push(pid);
      else if (holding(pid)) return pid;
    }
    for (const pid of later) if (holding(pid)) return pid;
    return null;
  }

  /** What identification reads of one process (its descriptors' targets only for the early read). */
  private readProcess(pid: number, withLinks = true): ProcessSnapshot {
    const own = this.proc.stat(pid);
    const chain = this.ancestorsFrom(own?.ppid ?? null);
    const links = new Set<string>();
    if (withLinks) for (const fd of this.proc.fds(pid) ?? []) {
      const target = this.proc.fdLink(pid, fd);
      if (target !== null) links.add(target);
    }
    return { pid, links, chain, threads: own?.threads, binary: this.proc.exe(pid), cmdline: this.proc.cmdline(pid) ?? [], ancestors: chain.map((p) => this.proc.exe(p) ?? '') };
  }

  private remember(pid: number, fd?: string): number {
    const i = this.recent.indexOf(pid);
    if (i >= 0) this.recent.splice(i, 1);
    this.recent.unshift(pid);
    if (this.recent.length > MRU_SIZE) this.lastFd.delete(this.recent.pop()!);
    if (fd !== undefined) this.lastFd.set(pid, fd);
    return pid;
  }

  /** The ancestors above a process whose parent is `ppid`, nearest first, up to the supervisor or init. */
  private ancestorsFrom(ppid: number | null): number[] {
    const chain: number[] = [];
    let cur = ppid;
    while (cur !== null && !this.stopAt.has(cur) && chain.length < MAX_ANCESTORS) {
      chain.push(cur);
      cur = this.proc.stat(cur)?.ppid ?? null;
    }
    return chain;
  }

  /**
   * A holder of another executable among the owner's relatives: a socket is shared by fork (descendants)
   * or handed to a parent. Sharing within one executable is not ambiguous, so a relative running the
   * owner's binary is not looked into: its executable is one readlink, its descriptor table one listing
   * and a readlink per descriptor (an agent's runtime as an ancestor can hold a hundred).
   * Descriptors passed to unrelated processes (SCM_RIGHTS, or kept by a re-parented child) are found by
   * the holder sweep (`holder-sweep.ts`) right after: a scan of every process is too slow for the
   * connection's path (milliseconds with a few hundred processes).
   */
  private otherHolder(owner: number, binary: string, threads: number | undefined, chain: readonly number[], exes: readonly string[], link: string): SharedHolder | null {
    const differs = (pid: number, exe: string | null): exe is string => exe !== null && exe !== '' && exe !== binary && holdsSocket(this.proc, pid, link);
    for (let i = 0; i < chain.length; i++) if (differs(chain[i]!, exes[i]!)) return { pid: chain[i]!, exe: exes[i]! };
    const queue = this.proc.children(owner, threads);
    for (let i = 0; i < queue.length && i < 256; i++) {
      const pid = queue[i]!;
      const exe = this.proc.exe(pid);
      if (differs(pid, exe)) return { pid, exe };
      queue.push(...this.proc.children(pid));
    }
    return null;
  }
}
