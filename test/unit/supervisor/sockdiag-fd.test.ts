import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIAG_LAUNCHER, DIAG_LAUNCHER_ENV, inheritedDiagFd } from '../../../core/supervisor/sockdiag-fd.ts';

const CHILD = fileURLToPath(new URL('../../fixtures/supervisor/diag-child.ts', import.meta.url));

/** Runs the child as the supervisor runs: python3 launcher → node, with the launcher's source in the environment. */
function launch(...args: string[]): Record<string, unknown> {
  const out = execFileSync('python3', ['-I', '-S', '-c', DIAG_LAUNCHER, process.execPath, '--import', 'tsx', CHILD, ...args], {
    env: { ...process.env, [DIAG_LAUNCHER_ENV]: DIAG_LAUNCHER },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('netlink lookups on the socket the launcher leaves open', () => {
  it('finds a connection and identifies its process on this thread, with no helper process', () => {
    const r = launch();
    expect(r.env).toMatch(/^\d+$/);
    expect(r.launcher).toBeNull(); // the launcher's source does not reach Node
    expect(r.inProcess).toBe(true);
    const found = r.found as { inode: number; uid: number };
    // The inode is the one the kernel shows for the client socket, the uid is the child's.
    expect(r.link).toBe(`socket:[${found.inode}]`);
    expect(found.uid).toBe(r.uid);
    expect(r.now).toEqual(found);
    expect(r.missing).toBeNull();
    expect(r.id).toMatchObject({ ok: true, pid: r.pid, binary: realpathSync(process.execPath), inode: found.inode });
    expect(r.after).toBe(true);
  });

  it('falls back to the helper when the descriptor does not answer, and gives it up after repeated failures', () => {
    const r = launch('bogus');
    expect(r.inProcess).toBe(true);
    expect(r.now).toBe('undefined');
    const found = r.found as { inode: number };
    expect(r.link).toBe(`socket:[${found.inode}]`);
    expect(r.id).toMatchObject({ ok: true, pid: r.pid });
    expect(r.after).toBe(false);
  });

  it('takes only a plausible descriptor number from the environment', () => {
    expect(inheritedDiagFd({})).toBeNull();
    expect(inheritedDiagFd({ OPENSHELL_DIAG_FD: '2' })).toBeNull();
    expect(inheritedDiagFd({ OPENSHELL_DIAG_FD: '3; rm -rf /' })).toBeNull();
    expect(inheritedDiagFd({ OPENSHELL_DIAG_FD: '7' })).toBe(7);
  });
});
