/**
 * The agent container's seccomp profile, in Docker's JSON format: allow by default (so any image's
 * tools keep working) and answer EPERM to the calls that would let a process leave the sandbox or
 * watch its neighbours: new namespaces, mounts, tracing, BPF, raw and packet sockets.
 */

const EPERM = 1;
const ENOSYS = 38;

/** The CLONE_NEW* flags; any one of them in clone/unshare means a new namespace. */
export const CLONE_NEW_FLAGS = {
  CLONE_NEWTIME: 0x00000080,
  CLONE_NEWNS: 0x00020000,
  CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000,
  CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
} as const;

const AF_NETLINK = 16;
const AF_PACKET = 17;
const AF_BLUETOOTH = 31;
const AF_VSOCK = 40;
const SOCK_RAW = 3;
/** Low bits of socket()'s type argument; SOCK_NONBLOCK and SOCK_CLOEXEC live above them. */
const SOCK_TYPE_MASK = 0xf;

/** Always refused: mounts, namespace switching, tracing, kernel programs, and what Docker's default profile also blocks. */
export const BLOCKED_SYSCALLS = [
  'mount', 'umount', 'umount2', 'pivot_root', 'chroot', 'setns',
  'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr',
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'pidfd_getfd',
  'bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
  'add_key', 'request_key', 'keyctl', 'iopl', 'ioperm', 'swapon', 'swapoff', 'reboot',
  'acct', 'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex', 'quotactl', 'lookup_dcookie',
  'open_by_handle_at', 'name_to_handle_at', 'vhangup', 'nfsservctl',
  // 32-bit x86 multiplexes socket() through socketcall, where arguments cannot be filtered.
  'socketcall',
] as const;

type Op = 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_MASKED_EQ';

export interface SeccompArg {
  readonly index: number;
  readonly value: number;
  readonly valueTwo: number;
  readonly op: Op;
}

export interface SeccompRule {
  readonly names: readonly string[];
  readonly action: 'SCMP_ACT_ERRNO';
  readonly errnoRet: number;
  readonly args?: readonly SeccompArg[];
  readonly comment?: string;
}

export interface SeccompProfile {
  readonly defaultAction: 'SCMP_ACT_ALLOW';
  readonly archMap: readonly { readonly architecture: string; readonly subArchitectures: readonly string[] }[];
  readonly syscalls: readonly SeccompRule[];
}

const deny = (names: readonly string[], args?: readonly SeccompArg[], errnoRet = EPERM): SeccompRule => ({
  names,
  action: 'SCMP_ACT_ERRNO',
  errnoRet,
  ...(args ? { args } : {}),
});

/** `(arg & flag) == flag`: one rule per flag because conditions within a rule are ANDed. */
const hasFlag = (index: number, flag: number): SeccompArg => ({ index, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' });
const eq = (index: number, value: number): SeccompArg => ({ index, value, valueTwo: 0, op: 'SCMP_CMP_EQ' });

export function agentSeccompProfile(): SeccompProfile {
  const namespaceRules = Object.values(CLONE_NEW_FLAGS).flatMap((flag) => [
    deny(['unshare'], [hasFlag(0, flag)]),
    // x86_64 and arm64 both pass clone's flags first.
    deny(['clone'], [hasFlag(0, flag)]),
  ]);
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    // Without sub-architectures a 32-bit syscall would bypass every rule below.
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    syscalls: [
      deny(BLOCKED_SYSCALLS),
      // clone3 passes its flags in memory, out of seccomp's reach: ENOSYS makes glibc fall back to clone.
      deny(['clone3'], undefined, ENOSYS),
      ...namespaceRules,
      ...[AF_PACKET, AF_BLUETOOTH, AF_VSOCK].map((family) => deny(['socket'], [eq(0, family)])),
      deny(['socket'], [{ index: 1, value: SOCK_TYPE_MASK, valueTwo: SOCK_RAW, op: 'SCMP_CMP_MASKED_EQ' }]),
      // Netlink only for NETLINK_ROUTE (interface and address listing), as upstream.
      deny(['socket'], [eq(0, AF_NETLINK), { index: 2, value: 0, valueTwo: 0, op: 'SCMP_CMP_NE' }]),
    ],
  };
}

/** The `SecurityOpt` entry Docker's API expects: the profile inline, not a file path. */
export function seccompSecurityOpt(profile: SeccompProfile = agentSeccompProfile()): string {
  return `seccomp=${JSON.stringify(profile)}`;
}
