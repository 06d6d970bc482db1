import { describe, expect, it } from 'vitest';
import { agentSeccompProfile, BLOCKED_SYSCALLS, CLONE_NEW_FLAGS, seccompSecurityOpt } from '../../../core/docker/seccomp.ts';

const profile = agentSeccompProfile();
const rulesFor = (name: string) => profile.syscalls.filter((r) => r.names.includes(name));

describe('the agent seccomp profile', () => {
  it('allows by default and covers 32-bit syscalls on x86_64 and arm64', () => {
    expect(profile.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(profile.archMap.find((a) => a.architecture === 'SCMP_ARCH_X86_64')?.subArchitectures).toContain('SCMP_ARCH_X86');
    expect(profile.archMap.find((a) => a.architecture === 'SCMP_ARCH_AARCH64')?.subArchitectures).toContain('SCMP_ARCH_ARM');
  });

  it.each(['mount', 'umount2', 'pivot_root', 'setns', 'ptrace', 'bpf', 'process_vm_readv', 'process_vm_writev'])(
    'refuses %s unconditionally with EPERM',
    (name) => {
      expect(BLOCKED_SYSCALLS).toContain(name);
      expect(rulesFor(name).some((r) => r.args === undefined && r.errnoRet === 1 && r.action === 'SCMP_ACT_ERRNO')).toBe(true);
    },
  );

  it('refuses every CLONE_NEW* flag in clone and unshare, one rule per flag', () => {
    for (const syscall of ['clone', 'unshare']) {
      const flags = rulesFor(syscall).map((r) => r.args?.[0]);
      for (const flag of Object.values(CLONE_NEW_FLAGS)) {
        expect(flags).toContainEqual({ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' });
      }
    }
  });

  it('answers ENOSYS to clone3 so glibc falls back to the filterable clone', () => {
    expect(rulesFor('clone3')).toEqual([expect.objectContaining({ errnoRet: 38 })]);
  });

  it('refuses AF_PACKET sockets and SOCK_RAW of any family (with NONBLOCK/CLOEXEC bits masked off)', () => {
    const socket = rulesFor('socket');
    expect(socket.some((r) => r.args?.length === 1 && r.args[0]!.index === 0 && r.args[0]!.value === 17)).toBe(true);
    expect(socket.some((r) => r.args?.[0]?.index === 1 && r.args[0].value === 0xf && r.args[0].valueTwo === 3)).toBe(true);
  });

  it('is passed inline to Docker', () => {
    const opt = seccompSecurityOpt();
    expect(opt.startsWith('seccomp={')).toBe(true);
    expect(JSON.parse(opt.slice('seccomp='.length))).toEqual(profile);
  });
});
