import type Docker from 'dockerode';
import { readContainerEntry } from './archive.ts';
import { SandboxError } from '../errors.ts';

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
}

/** Parses /etc/passwd text into name → {uid, gid}. */
export function parsePasswd(text: string): Map<string, ResolvedUser> {
  const out = new Map<string, ResolvedUser>();
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) {
      out.set(name, { uid: Number(uid), gid: Number(gid) });
    }
  }
  return out;
}

async function readFileFromContainer(container: Docker.Container, path: string): Promise<string> {
  return (await readContainerEntry(container, path))?.text ?? '';
}

function rootRefusal(detail: string): SandboxError {
  return new SandboxError(`refusing to run the agent as root (uid 0)${detail}`, {
    hint: 'sandboxes never run agents as root: use --user 1000 or an image whose USER is not root',
    exitCode: 2,
  });
}

/** Refuses before anything is created when the user is plainly root (`0`, `0:…`, `root`, or none at all). */
export function refuseObviousRoot(user: string, image: string): void {
  const u = user.split(':')[0] ?? '';
  if (u === '') throw rootRefusal(`: image ${image} sets no USER`);
  if (u === 'root' || /^0+$/.test(u)) throw rootRefusal('');
}

/**
 * Resolves `user` (`uid[:gid]` or a name from the image) to numbers, reading /etc/passwd from the
 * created (not started) agent container. uid 0 is refused: a root agent would pass the fence's uid-0 rule.
 */
export async function resolveUser(container: Docker.Container, user: string, image: string): Promise<ResolvedUser> {
  const [u = '', g] = user.split(':');
  let resolved: ResolvedUser | undefined;
  if (/^\d+$/.test(u)) {
    resolved = { uid: Number(u), gid: g !== undefined && /^\d+$/.test(g) ? Number(g) : Number(u) };
  } else if (u !== '') {
    const passwd = parsePasswd(await readFileFromContainer(container, '/etc/passwd').catch(() => ''));
    const entry = passwd.get(u);
    if (!entry) throw new SandboxError(`user \`${u}\` does not exist in image ${image}`);
    resolved = { uid: entry.uid, gid: g !== undefined && /^\d+$/.test(g) ? Number(g) : entry.gid };
  }
  if (!resolved || resolved.uid === 0) throw rootRefusal(u === '' ? `: image ${image} sets no USER` : '');
  return resolved;
}
