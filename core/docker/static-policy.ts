import { PolicyError } from '../errors.ts';
import type { Policy } from '../policy/index.ts';

/**
 * The static sections of a policy (`filesystem_policy`, `process`) turned into container settings,
 * fixed at creation: a read-only root, writable tmpfs only where the policy says, and the agent user.
 */
export interface FilesystemPlan {
  /** Paths mounted as writable tmpfs in the agent container. */
  readonly tmpfs: readonly string[];
  /** The workspace volume: writable only when the policy includes the workdir. */
  readonly workspace: 'rw' | 'ro';
}

/** Kernel file systems already mounted by Docker; a tmpfs over them would hide devices or proc. */
const SPECIAL = ['/dev', '/proc', '/sys'];

const under = (path: string, dir: string): boolean => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

export function filesystemPlan(policy: Policy, workdir: string): FilesystemPlan {
  const fs = policy.filesystem_policy ?? {};
  const includeWorkdir = fs.include_workdir ?? true;
  const tmpfs = [...new Set((fs.read_write ?? []).map((p) => p.replace(/\/+$/, '') || '/'))]
    .filter((p) => p !== '/' && !SPECIAL.some((s) => under(p, s)) && !(includeWorkdir && under(p, workdir)))
    .sort();
  return { tmpfs, workspace: includeWorkdir ? 'rw' : 'ro' };
}

/** Docker's HostConfig.Tmpfs: exec allowed (builds and tests run from /tmp), every user may write. */
export function tmpfsMounts(plan: FilesystemPlan): Record<string, string> {
  return Object.fromEntries(plan.tmpfs.map((p) => [p, 'rw,exec,nosuid,nodev,mode=1777']));
}

const MAX_ID = 4294967294;

function checkId(value: string, field: string): void {
  const refuse = (why: string): never => {
    throw new PolicyError(`process.${field} \`${value}\` is not allowed: ${why}`, {
      hint: 'agents never run as root: use a user of the image such as `sandbox`, or a number from 1 to 4294967294',
      exitCode: 2,
    });
  };
  if (value === '') refuse('it is empty');
  if (value === 'root') refuse('it is root');
  if (/^\d+$/.test(value) && (Number(value) === 0 || Number(value) > MAX_ID)) refuse(Number(value) === 0 ? 'uid 0 is root' : 'it is out of range');
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(value)) refuse('it is not a user name or number');
}

/**
 * The user the agent runs as: the policy's `run_as_user[:run_as_group]` when set (a name resolves
 * through the image's /etc/passwd at creation), else `fallback` (--user or the image's USER).
 */
export function policyUser(policy: Policy, fallback: string): string {
  const p = policy.process ?? {};
  if (p.run_as_user === undefined && p.run_as_group === undefined) return fallback;
  if (p.run_as_user !== undefined) checkId(p.run_as_user, 'run_as_user');
  if (p.run_as_group !== undefined) {
    // Group 0 is allowed by Docker but gives root's group files; refuse it like upstream refuses uid 0.
    checkId(p.run_as_group, 'run_as_group');
  }
  const user = p.run_as_user ?? fallback.split(':')[0] ?? '';
  return p.run_as_group === undefined ? user : `${user}:${p.run_as_group}`;
}
