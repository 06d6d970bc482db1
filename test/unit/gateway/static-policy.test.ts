import { describe, expect, it } from 'vitest';
import { filesystemPlan, policyUser, tmpfsMounts } from '../../../core/docker/static-policy.ts';
import type { Policy } from '../../../core/policy/index.ts';

const fs = (f: Policy['filesystem_policy']): Policy => ({ version: 1, filesystem_policy: f });

describe('filesystem_policy at creation', () => {
  it('makes tmpfs only for read_write paths outside /dev, /proc and the writable workspace', () => {
    const plan = filesystemPlan(fs({ include_workdir: true, read_write: ['/tmp', '/dev/null', '/sandbox/cache', '/var/cache/'] }), '/sandbox');
    expect(plan).toEqual({ tmpfs: ['/tmp', '/var/cache'], workspace: 'rw' });
    expect(tmpfsMounts(plan)['/tmp']).toContain('mode=1777');
  });

  it('leaves the workspace read-only without include_workdir, and /tmp read-only unless listed', () => {
    expect(filesystemPlan(fs({ include_workdir: false, read_write: [] }), '/sandbox')).toEqual({ tmpfs: [], workspace: 'ro' });
  });

  it('defaults to a writable workspace when the policy has no filesystem section', () => {
    expect(filesystemPlan({ version: 1 }, '/w')).toEqual({ tmpfs: [], workspace: 'rw' });
  });
});

describe('process.run_as_user / run_as_group', () => {
  const proc = (p: Policy['process']): Policy => ({ version: 1, process: p });

  it('overrides the image user, keeping names for the image to resolve', () => {
    expect(policyUser(proc({ run_as_user: '1234' }), 'sandbox')).toBe('1234');
    expect(policyUser(proc({ run_as_user: 'sandbox', run_as_group: '2000' }), '0')).toBe('sandbox:2000');
    expect(policyUser(proc({ run_as_group: 'users' }), 'sandbox:x')).toBe('sandbox:users');
    expect(policyUser({ version: 1 }, 'image-user')).toBe('image-user');
  });

  it.each(['root', '0', '000', '4294967295'])('refuses run_as_user `%s` with a clear message', (u) => {
    expect(() => policyUser(proc({ run_as_user: u }), 'sandbox')).toThrow(/process\.run_as_user .* is not allowed/);
  });

  it('refuses group root too', () => {
    expect(() => policyUser(proc({ run_as_user: 'sandbox', run_as_group: 'root' }), '')).toThrow(/run_as_group/);
  });
});
