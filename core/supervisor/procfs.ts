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
  /** The arguments in the first CMDLINE_MAX bytes; an argument cut there ends with '…'. */
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
 * Small /proc files in one read into a shared buffer. `readFileSync` also stats the file and reads again
 * to find its end, which on the connection's path (a few files per lookup) counts. Files that do not
 * fit are read whole the usual way.
 *
 * The files of the processes read last stay open, and are read again from offset 0: one syscall instead
 * of open, read and close (the same clients connect again and again). A descriptor of /proc/<pid> is
 * bound to that process, not to the number: once it has exited, reading fails (ESRCH), even if the pid
 * was given to another process meanwhile. The descriptor is then closed and the path opened afresh.
 */
const SMALL = Buffer.alloc(16 * 1024);
const KEEP_OPEN = 128;
/**
 * How much of a command line is read and logged. An argument vector can be megabytes (an inline
 * script, a long `xargs` list): read whole, it was copied out of the process on every connection and
 * made every event of that client as large, in stdout, Docker's log and `events.jsonl`.
 */
export const CMDLINE_MAX = 1024;

class SmallFiles {
  /** Path → descriptor, least recently read first. */
  private readonly open = new Map<string, number>();

  read(file: string, encoding: 'latin1' | 'utf8'): string {
    const n = this.readInto(file, SMALL.length);
    return n >= SMALL.length ? readFileSync(file, encoding) : SMALL.toString(encoding, 0, n);
  }

  /** At most `max` bytes from the start of `file` (cut at a character), and whether it holds more. */
  head(file: string, max: number): { readonly text: string; readonly more: boolean } {
    const n = this.readInto(file, max + 1);
    if (n <= max) return { text: SMALL.toString('utf8', 0, n), more: false };
    let cut = max;
    while (cut > 0 && (SMALL[cut]! & 0xc0) === 0x80) cut--;
    return { text: SMALL.toString('utf8', 0, cut), more: true };
  }

  /** Reads up to `length` bytes (at most SMALL's size) from offset 0 into SMALL: the count read. */
  private readInto(file: string, length: number): number {
    let fd = this.open.get(file);
    if (fd !== undefined) {
      this.open.delete(file);
      const n = tryOr(() => readSync(fd!, SMALL, 0, length, 0));
      if (n !== null && n < SMALL.length) {
        this.open.set(file, fd);
        return n;
      }
      closeSync(fd);
      if (n !== null) return n;
    }
    fd = openSync(file, 'r');
    let n: number;
    try {
      n = readSync(fd, SMALL, 0, length, 0);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (n >= SMALL.length) {
      closeSync(fd);
      return n;
    }
    this.open.set(file, fd);
    if (this.open.size > KEEP_OPEN) {
      const [oldest, ofd] = this.open.entries().next().value as [string, number];
      this.open.delete(oldest);
      closeSync(ofd);
    }
    return n;
  }
}

export function procReader(root = '/proc'): ProcReader {
  const files = new SmallFiles();
  const readSmall = (file: string, encoding: 'latin1' | 'utf8'): string => files.read(file, encoding);
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
    // Logged, never trusted: the first CMDLINE_MAX bytes are read, and a cut argument ends with '…'.
    cmdline: (pid) =>
      tryOr(() => {
        const { text, more } = files.head(`${root}/${pid}/cmdline`, CMDLINE_MAX);
        const args = text.split('\0');
        if (!more) return args.filter((a, i) => a !== '' || i < args.length - 1);
        args[args.length - 1] += '…';
        return args;
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
