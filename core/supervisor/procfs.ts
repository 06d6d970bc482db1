import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';

/** Small readers over `/proc` for one process. Every reader returns null when the process is gone. */

export interface ProcReader {
  readonly root: string;
  pids(): number[];
  fds(pid: number): string[] | null;
  /** Owner of `/proc/<pid>` (the process's effective uid). */
  uid(pid: number): number | null;
  fdLink(pid: number, fd: string): string | null;
  exe(pid: number): string | null;
  /** Parent pid and thread count, from one read of `/proc/<pid>/stat`. */
  stat(pid: number): ProcStat | null;
  cmdline(pid: number): string[] | null;
  /**
   * Direct children of every thread of `pid` (needs CONFIG_PROC_CHILDREN; empty without it). A caller
   * that just read the process's stat passes its thread count: a single-threaded process's one task is
   * then read without listing `task/`.
   */
  children(pid: number, threads?: number): number[];
  netTcp(family: 4 | 6): string;
}

export interface ProcStat {
  readonly ppid: number;
  readonly threads: number;
}

function tryOr<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/**
 * A small /proc file in one read into a shared buffer: open, read, close. `readFileSync` also stats the
 * file and reads again to find its end, which on the connection's path (a few files per lookup) counts.
 * Files that do not fit are read whole the usual way.
 */
const SMALL = Buffer.alloc(16 * 1024);
function readSmall(file: string, encoding: 'latin1' | 'utf8'): string {
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, SMALL, 0, SMALL.length, null);
  } finally {
    closeSync(fd);
  }
  return n < SMALL.length ? SMALL.toString(encoding, 0, n) : readFileSync(file, encoding);
}

export function procReader(root = '/proc'): ProcReader {
  return {
    root,
    pids: () => {
      const out: number[] = [];
      for (const name of readdirSync(root)) {
        const c = name.charCodeAt(0);
        if (c >= 48 && c <= 57) out.push(Number(name));
      }
      return out;
    },
    fds: (pid) => tryOr(() => readdirSync(`${root}/${pid}/fd`)),
    uid: (pid) => tryOr(() => statSync(`${root}/${pid}`).uid),
    fdLink: (pid, fd) => tryOr(() => readlinkSync(`${root}/${pid}/fd/${fd}`)),
    exe: (pid) => tryOr(() => readlinkSync(`${root}/${pid}/exe`)),
    // `stat`, not `status`: the kernel formats far less (about a third of the time in a sandbox).
    // The name in parentheses may hold spaces and ')': fields are counted after the last ')'
    // (state, ppid, …; num_threads is the 20th field of the file, the 18th after the name).
    stat: (pid) =>
      tryOr(() => {
        const text = readSmall(`${root}/${pid}/stat`, 'latin1');
        const f = text.slice(text.lastIndexOf(')') + 2).split(' ', 18);
        const ppid = Number(f[1]);
        const threads = Number(f[17]);
        return Number.isInteger(ppid) && Number.isInteger(threads) ? { ppid, threads } : null;
      }),
    cmdline: (pid) =>
      tryOr(() => {
        const raw = readSmall(`${root}/${pid}/cmdline`, 'utf8');
        return raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
      }),
    children: (pid, threads) => {
      const out: number[] = [];
      const tids = threads === 1 ? [String(pid)] : (tryOr(() => readdirSync(`${root}/${pid}/task`)) ?? []);
      for (const tid of tids) {
        const text = tryOr(() => readSmall(`${root}/${pid}/task/${tid}/children`, 'latin1')) ?? '';
        for (const c of text.split(' ')) if (c.trim() !== '') out.push(Number(c));
      }
      return out;
    },
    netTcp: (family) => tryOr(() => readFileSync(`${root}/net/${family === 4 ? 'tcp' : 'tcp6'}`, 'latin1')) ?? '',
  };
}

/** Whether `pid` holds `socket:[inode]` among its open descriptors. */
export function holdsSocket(proc: ProcReader, pid: number, link: string): boolean {
  return socketFd(proc, pid, link) !== null;
}

/** The descriptor of `pid` that holds `socket:[inode]`, or null. */
export function socketFd(proc: ProcReader, pid: number, link: string): string | null {
  const fds = proc.fds(pid);
  if (!fds) return null;
  // Newest descriptors first: the socket just connected is usually the highest one.
  for (let i = fds.length - 1; i >= 0; i--) if (proc.fdLink(pid, fds[i]!) === link) return fds[i]!;
  return null;
}
