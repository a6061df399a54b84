import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { CLONE_NAMESPACE_FLAGS, defaultSeccompProfile, nativeArch, parseSeccompProfile } from './seccomp.js';
import type { SeccompConfig } from './seccomp.js';

type Call = NonNullable<SeccompConfig['syscalls']>[number];
const entries = (p: SeccompConfig | undefined, name: string): Call[] => (p?.syscalls ?? []).filter((s) => s.names.includes(name));
/** Allowed whatever the arguments. */
const allows = (p: SeccompConfig | undefined, name: string) => entries(p, name).some((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args?.length);
const invalid = (re: RegExp) => (err: unknown) => isKind(err, 'InvalidArgument') && re.test((err as Error).message);
const dflt = (extra: string[] = [], arch = 'x64') => defaultSeccompProfile({ capabilities: [...DEFAULT_CAPABILITIES, ...extra], arch });

test('default profile: deny with EPERM, allow the ordinary calls', () => {
  const p = dflt();
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(p.defaultErrnoRet, 1);
  for (const name of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'epoll_pwait', 'connect', 'sendto', 'recvfrom', 'setuid', 'wait4', 'ptrace', 'chroot']) {
    assert.ok(allows(p, name), name);
  }
  // Never for an unprivileged default container: keyring, kexec, swap, io_uring, the shocker escape, mounts.
  for (const name of ['add_key', 'keyctl', 'request_key', 'kexec_load', 'kexec_file_load', 'swapon', 'pivot_root', 'userfaultfd',
    'io_uring_setup', 'io_uring_enter', 'open_by_handle_at', 'mount', 'umount2', 'unshare', 'setns', 'reboot', 'init_module',
    'finit_module', 'delete_module', 'bpf', 'perf_event_open', 'settimeofday', 'clock_settime', 'acct', 'iopl', 'ioperm', 'syslog',
    'kcmp', 'vhangup', 'mbind', 'sethostname', 'quotactl', 'fsopen', 'move_mount', 'clone3']) {
    assert.ok(!allows(p, name), name);
  }
});

test('default profile: architectures of the host and its compat ABIs', () => {
  assert.deepEqual(dflt([], 'x64').architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(dflt([], 'x86_64').architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(dflt([], 'arm64').architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.deepEqual(dflt([], 's390x').architectures, ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']);
  assert.equal(dflt([], 'ia32').architectures, undefined);
  assert.equal(dflt([], 'sparc').architectures, undefined);
  assert.equal(nativeArch('aarch64'), 'arm64');
  assert.equal(nativeArch('sparc'), undefined);
});

test('default profile: architecture-specific calls', () => {
  const x64 = dflt([], 'x64');
  assert.ok(allows(x64, 'arch_prctl') && allows(x64, 'modify_ldt'));
  assert.ok(!allows(x64, 'set_tls') && !allows(x64, 's390_runtime_instr'));
  const arm64 = dflt([], 'arm64');
  assert.ok(allows(arm64, 'set_tls') && allows(arm64, 'cacheflush') && allows(arm64, 'sync_file_range2'));
  assert.ok(!allows(arm64, 'arch_prctl') && !allows(arm64, 'modify_ldt'));
  const ia32 = dflt([], 'ia32');
  assert.ok(allows(ia32, 'modify_ldt') && !allows(ia32, 'arch_prctl'));
  assert.ok(allows(dflt([], 'riscv64'), 'riscv_flush_icache'));
});

test('default profile: each capability opens its own calls', () => {
  const groups: [string, string[]][] = [
    ['CAP_SYS_ADMIN', ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'setdomainname', 'fsopen', 'fsmount', 'move_mount', 'open_tree', 'quotactl', 'clone', 'clone3', 'bpf', 'syslog', 'perf_event_open']],
    ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
    ['CAP_SYS_BOOT', ['reboot']],
    ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
    ['CAP_SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']],
    ['CAP_SYS_NICE', ['mbind', 'set_mempolicy', 'get_mempolicy', 'set_mempolicy_home_node']],
    ['CAP_SYS_PACCT', ['acct']],
    ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
    ['CAP_SYS_TTY_CONFIG', ['vhangup']],
    ['CAP_SYSLOG', ['syslog']],
    ['CAP_BPF', ['bpf']],
    ['CAP_PERFMON', ['perf_event_open']],
    ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
  ];
  const without = dflt();
  for (const [cap, names] of groups) {
    const withCap = dflt([cap]);
    for (const name of names) {
      assert.ok(!allows(without, name), `${name} without ${cap}`);
      assert.ok(allows(withCap, name), `${name} with ${cap}`);
    }
    // A capability opens its group only: CAP_SYS_BOOT does not open mount.
    if (cap !== 'CAP_SYS_ADMIN') assert.ok(!allows(withCap, 'mount'), `mount with ${cap}`);
  }
  // chroot is gated by CAP_SYS_CHROOT, which is in Docker's default set.
  const noChroot = defaultSeccompProfile({ capabilities: DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'), arch: 'x64' });
  assert.ok(!allows(noChroot, 'chroot'));
  // Names are matched as Docker's cap flags are: with or without the prefix, any case.
  assert.ok(allows(defaultSeccompProfile({ capabilities: ['sys_admin'], arch: 'x64' }), 'mount'));
});

test('default profile: clone may not create namespaces without CAP_SYS_ADMIN', () => {
  assert.equal(CLONE_NAMESPACE_FLAGS, 2114060288);
  const p = dflt();
  const clone = entries(p, 'clone');
  assert.equal(clone.length, 1);
  assert.deepEqual(clone[0], {
    names: ['clone'], action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
  });
  assert.deepEqual(entries(p, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);

  const admin = dflt(['CAP_SYS_ADMIN']);
  assert.ok(allows(admin, 'clone') && allows(admin, 'clone3'));
  assert.ok(entries(admin, 'clone').every((s) => !s.args));
  assert.ok(entries(admin, 'clone3').every((s) => s.action === 'SCMP_ACT_ALLOW'));

  // s390 passes clone's flags second.
  const s390 = entries(dflt([], 's390x'), 'clone');
  assert.equal(s390.length, 1);
  assert.equal(s390[0]?.args?.[0]?.index, 1);
});

test('default profile: personality and socket are argument-filtered', () => {
  const p = dflt();
  assert.ok(!allows(p, 'personality'));
  const values = entries(p, 'personality').map((s) => {
    assert.equal(s.args?.length, 1);
    assert.equal(s.args?.[0]?.op, 'SCMP_CMP_EQ');
    return s.args?.[0]?.value;
  });
  assert.deepEqual(values.sort((a, b) => (a as number) - (b as number)), [0, 8, 0x20000, 0x20008, 0xffffffff]);
  assert.ok(!allows(p, 'socket'));
  assert.deepEqual(entries(p, 'socket'), [{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] }]);
});

test('default profile: each call returns a fresh object', () => {
  const a = dflt();
  (a.syscalls?.[0]?.names as string[]).push('kexec_load');
  (a.syscalls?.find((s) => s.names.includes('socket'))?.args?.[0] as { value: number }).value = 0;
  const b = dflt();
  assert.ok(!allows(b, 'kexec_load'));
  assert.equal(entries(b, 'socket')[0]?.args?.[0]?.value, 40);
});

const profile = (o: Record<string, unknown>) => JSON.stringify(o);

test('profile file: includes and excludes follow capabilities, architecture and kernel', () => {
  const json = profile({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
      { names: ['both'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } },
      { names: ['unless_admin'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN', 'CAP_BPF'] } },
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
      { names: ['not_on_arm'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['arm64'] } },
      { names: ['new_kernel'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.10' } },
      { names: ['old_kernel'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '5.10' } },
    ],
  });
  const plain = parseSeccompProfile(json, ['CAP_CHOWN'], { arch: 'x64', kernel: '4.19.0-1-amd64' });
  assert.ok(allows(plain, 'read') && allows(plain, 'write'));
  assert.ok(!allows(plain, 'mount') && !allows(plain, 'both'));
  assert.deepEqual(entries(plain, 'unless_admin'), [{ names: ['unless_admin'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  assert.ok(allows(plain, 'arch_prctl') && allows(plain, 'not_on_arm'));
  assert.ok(!allows(plain, 'new_kernel') && allows(plain, 'old_kernel'));

  const admin = parseSeccompProfile(json, ['CAP_SYS_ADMIN'], { arch: 'arm64', kernel: '6.1.0' });
  assert.ok(allows(admin, 'mount') && !allows(admin, 'both'));
  assert.equal(entries(admin, 'unless_admin').length, 0);
  assert.ok(!allows(admin, 'arch_prctl') && !allows(admin, 'not_on_arm'));
  assert.ok(allows(admin, 'new_kernel') && !allows(admin, 'old_kernel'));
  assert.ok(allows(parseSeccompProfile(json, ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'], { arch: 'x64' }), 'both'));
  assert.equal(entries(parseSeccompProfile(json, ['CAP_BPF'], { arch: 'x64' }), 'unless_admin').length, 0);
});

test('profile file: fields carried over to the OCI form', () => {
  const out = parseSeccompProfile(profile({
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64'],
    flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [
      { name: 'getcwd', action: 'SCMP_ACT_ALLOW', comment: 'single name', args: [] },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 3, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  }), [], { arch: 'x64' });
  assert.deepEqual(out, {
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [
      { names: ['getcwd'], action: 'SCMP_ACT_ALLOW' },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 3, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    ],
  });
  const notify = parseSeccompProfile(profile({
    defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', listenerMetadata: 'x',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
  }), []);
  assert.equal(notify?.listenerPath, '/run/agent.sock');
  assert.equal(notify?.listenerMetadata, 'x');
});

test('profile file: archMap picks the host entry', () => {
  const json = profile({
    defaultAction: 'SCMP_ACT_ERRNO',
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
      { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: null },
    ],
    syscalls: [],
  });
  assert.deepEqual(parseSeccompProfile(json, [], { arch: 'x64' })?.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(parseSeccompProfile(json, [], { arch: 'arm64' })?.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.deepEqual(parseSeccompProfile(json, [], { arch: 'riscv64' })?.architectures, ['SCMP_ARCH_RISCV64']);
  assert.equal(parseSeccompProfile(json, [], { arch: 's390x' })?.architectures, undefined);
});

test('profile file: an empty profile means no filter', () => {
  assert.equal(parseSeccompProfile('{}', []), undefined);
  assert.equal(parseSeccompProfile('{"defaultAction":"","syscalls":[]}', []), undefined);
});

test('profile file: bad input is an InvalidArgument naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['{not json', /^decoding seccomp profile failed: /],
    ['[]', /^decoding seccomp profile failed: the profile must be a JSON object$/],
    [profile({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }), /defaultAction is required/],
    [profile({ defaultAction: 'SCMP_ACT_MAYBE' }), /unknown defaultAction "SCMP_ACT_MAYBE"/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] }), /both 'architectures' and 'archMap'/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_VAX'] }), /unknown architecture "SCMP_ARCH_VAX"/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'read', names: ['write'], action: 'SCMP_ACT_ALLOW' }] }), /both 'name' and 'names' are specified in syscalls\[0\]/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ action: 'SCMP_ACT_ALLOW' }] }), /syscalls\[0\] names no syscall/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'] }] }), /syscalls\[0\]\.action is required/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }), /args\[0\]\.index must be between 0 and 5/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }), /value must be a non-negative integer/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_LIKE' }] }] }), /unknown operator "SCMP_CMP_LIKE"/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { caps: 'CAP_SYS_ADMIN' } }] }), /syscalls\[0\]\.includes\.caps must be an array of strings/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: 'new' } }] }), /invalid kernel version in seccomp profile minKernel: "new"/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }), /SCMP_ACT_NOTIFY needs a listenerPath/],
    [profile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: 'read' }), /syscalls must be an array/],
  ];
  for (const [json, re] of cases) assert.throws(() => parseSeccompProfile(json, [], { arch: 'x64' }), invalid(re), json);
});
