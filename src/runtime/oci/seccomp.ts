/**
 * Seccomp for containers: Docker's default profile and Docker-format profile files, both turned into the
 * OCI `linux.seccomp` object runc takes.
 *
 * A Docker-format profile is a list of rules, each guarded by conditions on the container: `includes`
 * (every listed capability in the container's set, the host architecture among `arches`, the kernel at
 * least `minKernel`) and `excludes` (any listed capability present, the architecture listed, the kernel at
 * least `minKernel` → rule dropped). Resolving a profile for one container evaluates those conditions and
 * keeps the surviving rules; `archMap` picks the seccomp architectures of the host. This is how Docker
 * makes the filter follow `--cap-add`: a container given CAP_SYS_ADMIN may also call mount(2).
 *
 * Facts follow moby's profiles/seccomp (default profile, setupSeccomp); the tables here are Berth's own.
 * Pure: the host architecture and kernel are inputs (the architecture defaults to node's process.arch).
 */
import { invalidArgument } from '../../core/errors.js';
import type { OciSeccomp } from './types.js';

/** OCI seccomp plus the one field types.ts does not model (passed to runc untouched). */
export type SeccompConfig = OciSeccomp & { listenerMetadata?: string };
type OciSyscall = NonNullable<OciSeccomp['syscalls']>[number];
type OciArg = NonNullable<OciSyscall['args']>[number];

/** Conditions of a Docker profile rule; architectures are libseccomp's native names ("amd64", "arm64"). */
export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciArg[];
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

/** Where the profile is resolved. Unknown kernel = new enough for every `minKernel`. */
export interface SeccompHost {
  /** node process.arch ("x64"), Go GOARCH ("amd64") or uname -m ("x86_64"). */
  arch?: string;
  /** uname -r, e.g. "6.1.0-18-amd64". */
  kernel?: string;
}

const EPERM = 1;
const ENOSYS = 38;
const AF_VSOCK = 40;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
export const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

export const SECCOMP_ACTIONS: readonly string[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
];
const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const ARCHITECTURES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
];
const FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];

/** Any spelling of a machine → libseccomp's native name (the one profile `arches` use). */
const NATIVE_ARCH: Record<string, string> = {
  x64: 'amd64', amd64: 'amd64', x86_64: 'amd64',
  arm64: 'arm64', aarch64: 'arm64',
  ia32: 'x86', '386': 'x86', x86: 'x86', i386: 'x86', i686: 'x86',
  arm: 'arm', armv7l: 'arm',
  ppc64: 'ppc64le', ppc64le: 'ppc64le',
  s390x: 's390x', s390: 's390',
  riscv64: 'riscv64',
};
/** Native name → the seccomp architecture of the host itself. */
const SCMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', x86: 'SCMP_ARCH_X86', arm: 'SCMP_ARCH_ARM',
  ppc64le: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', s390: 'SCMP_ARCH_S390', riscv64: 'SCMP_ARCH_RISCV64',
};
/** The default profile's archMap: a 64-bit host also filters the compat ABIs its kernel runs. */
const DEFAULT_ARCH_MAP: Record<string, string[]> = {
  SCMP_ARCH_X86_64: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  SCMP_ARCH_AARCH64: ['SCMP_ARCH_ARM'],
  SCMP_ARCH_S390X: ['SCMP_ARCH_S390'],
  SCMP_ARCH_RISCV64: [],
};

export function nativeArch(arch: string = process.arch): string | undefined {
  return NATIVE_ARCH[arch.toLowerCase()];
}

const words = (s: string) => s.trim().split(/\s+/);

/**
 * Calls every container may make: ordinary file, memory, process, signal, time-reading, IPC and socket
 * calls. Not here (so denied with EPERM unless a capability rule below grants them): the keyring
 * (add_key, keyctl, request_key: not namespaced), kexec_*, swapon/swapoff, pivot_root, uselib, userfaultfd,
 * ustat/sysfs/_sysctl, nfsservctl, vm86*, get_kernel_syms/query_module/create_module, io_uring_* (removed
 * in Docker 25 as an escape vector), open_by_handle_at (the "shocker" escape; CAP_DAC_READ_SEARCH only),
 * namespace and mount calls (CAP_SYS_ADMIN only), clock setting, module loading, reboot, acct.
 * ptrace and process_vm_* are safe for everyone since kernel 4.8 (seccomp runs after ptrace there).
 */
const ALLOWED_FOR_ALL = words(`
  accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
  clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep
  clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3
  epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old
  eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
  fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
  flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate
  ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv futex_wake futimesat
  getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32
  getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid
  getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid
  gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init inotify_init1
  inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get
  ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self
  lchown lchown32 lgetxattr link linkat listen listmount listxattr listxattrat llistxattr _llseek lremovexattr
  lseek lsetxattr lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir
  mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open
  mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal msgctl
  msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open
  openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll
  ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease process_vm_readv process_vm_writev
  pselect6 pselect6_time64 ptrace pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv
  recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename renameat
  renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
  rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity
  sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
  sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
  sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile
  sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups
  setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32
  setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid
  setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask
  sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statmount statx symlink symlinkat sync
  sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime
  timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64
  timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat
  uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev
`);

/** Calls that only make sense with a capability (the kernel checks it too; the filter narrows the surface). */
const BY_CAPABILITY: Record<string, string[]> = {
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_ADMIN: words(`
    bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr
    lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open quotactl
    quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare`),
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['delete_module', 'init_module', 'finit_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
};

/** Architecture-specific calls, by the native architectures that have them. */
const BY_ARCH: [string[], string[]][] = [
  [['amd64', 'x32'], ['arch_prctl']],
  [['amd64', 'x32', 'x86'], ['modify_ldt']],
  [['arm', 'arm64'], ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls']],
  [['ppc64le'], ['sync_file_range2', 'swapcontext']],
  [['s390', 's390x'], ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr']],
  [['riscv64'], ['riscv_flush_icache']],
];

/**
 * personality(2) values a container may set: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32 and the
 * 0xffffffff query; anything else (e.g. ADDR_NO_RANDOMIZE) would weaken the host's hardening.
 */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

function defaultRules(): SeccompRule[] {
  const allow = 'SCMP_ACT_ALLOW';
  const rules: SeccompRule[] = [
    { names: ALLOWED_FOR_ALL, action: allow },
    // AF_VSOCK reaches the hypervisor and other VMs; it is not namespaced.
    { names: ['socket'], action: allow, args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
    ...PERSONALITIES.map((value): SeccompRule => ({ names: ['personality'], action: allow, args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] })),
    ...BY_ARCH.map(([arches, names]): SeccompRule => ({ names, action: allow, includes: { arches } })),
    ...Object.entries(BY_CAPABILITY).map(([cap, names]): SeccompRule => ({ names, action: allow, includes: { caps: [cap] } })),
    // Without CAP_SYS_ADMIN: clone(2) is fine for threads and processes, not for new namespaces.
    // s390 passes the flags as the second argument.
    {
      names: ['clone'], action: allow, excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    },
    {
      names: ['clone'], action: allow, includes: { arches: ['s390', 's390x'] }, excludes: { caps: ['CAP_SYS_ADMIN'] },
      args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    },
    // clone3 passes its flags in memory, out of the filter's reach: ENOSYS makes libc fall back to clone.
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
  ];
  return rules;
}

/** Docker's default profile for a container with these (bounding) capabilities. */
export function defaultSeccompProfile(opts: { capabilities: string[]; arch?: string; kernel?: string }): SeccompConfig {
  const native = nativeArch(opts.arch);
  const scmp = native ? SCMP_ARCH[native] : undefined;
  const sub = scmp ? DEFAULT_ARCH_MAP[scmp] : undefined;
  const out: SeccompConfig = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM };
  if (scmp && sub) out.architectures = [scmp, ...sub];
  out.syscalls = resolveRules(defaultRules(), opts.capabilities, native, opts.kernel);
  return out;
}

const capName = (c: string) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : 'CAP_' + c.toUpperCase());

function parseKernel(v: string, what: string): number[] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) throw invalidArgument(`invalid kernel version in seccomp profile ${what}: ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** True when the host kernel is at least `min`; an unknown kernel counts as new enough. */
function kernelAtLeast(min: string, kernel: string | undefined): boolean {
  const want = parseKernel(min, 'minKernel');
  if (kernel === undefined) return true;
  const have = parseKernel(kernel, 'host');
  for (let i = 0; i < 3; i++) if ((have[i] as number) !== (want[i] as number)) return (have[i] as number) > (want[i] as number);
  return true;
}

/** setupSeccomp's filtering: drop rules whose conditions this container does not meet. */
function resolveRules(rules: readonly SeccompRule[], capabilities: readonly string[], arch: string | undefined, kernel: string | undefined): OciSyscall[] {
  const caps = new Set(capabilities.map(capName));
  const out: OciSyscall[] = [];
  for (const r of rules) {
    const ex = r.excludes;
    if (ex) {
      if (ex.arches?.length && arch !== undefined && ex.arches.includes(arch)) continue;
      if (ex.caps?.some((c) => caps.has(capName(c)))) continue;
      if (ex.minKernel && kernelAtLeast(ex.minKernel, kernel)) continue;
    }
    const inc = r.includes;
    if (inc) {
      if (inc.arches?.length && (arch === undefined || !inc.arches.includes(arch))) continue;
      if (inc.caps?.length && !inc.caps.every((c) => caps.has(capName(c)))) continue;
      if (inc.minKernel && !kernelAtLeast(inc.minKernel, kernel)) continue;
    }
    const call: OciSyscall = { names: [...r.names], action: r.action };
    if (r.errnoRet !== undefined) call.errnoRet = r.errnoRet;
    if (r.args?.length) call.args = r.args.map((a) => ({ ...a }));
    out.push(call);
  }
  return out;
}

// ---- Docker-format profile files -------------------------------------------------------------------------

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (msg: string) => invalidArgument(`invalid seccomp profile: ${msg}`);

function optString(o: Json, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${where}${key} must be a string`);
  return v;
}

function optStrings(o: Json, key: string, where: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(`${where}${key} must be an array of strings`);
  return v as string[];
}

function optUint(o: Json, key: string, where: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${where}${key} must be a non-negative integer below 2^53`);
  return v;
}

function oneOf(v: string | undefined, allowed: readonly string[], what: string): string | undefined {
  if (v !== undefined && !allowed.includes(v)) throw bad(`unknown ${what} ${JSON.stringify(v)}`);
  return v;
}

function parseFilter(v: unknown, where: string): SeccompFilter | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad(`${where} must be an object`);
  const minKernel = optString(v, 'minKernel', `${where}.`);
  if (minKernel) parseKernel(minKernel, 'minKernel');
  return { caps: optStrings(v, 'caps', `${where}.`), arches: optStrings(v, 'arches', `${where}.`), minKernel: minKernel || undefined };
}

function parseRule(v: unknown, i: number): SeccompRule {
  const where = `syscalls[${i}]`;
  if (!isObject(v)) throw bad(`${where} must be an object`);
  const name = optString(v, 'name', `${where}.`);
  const names = optStrings(v, 'names', `${where}.`);
  if (name && names?.length) throw bad(`both 'name' and 'names' are specified in ${where}, use either 'name' or 'names'`);
  const all = name ? [name] : names ?? [];
  if (all.length === 0 || all.some((n) => n === '')) throw bad(`${where} names no syscall`);
  const action = oneOf(optString(v, 'action', `${where}.`), SECCOMP_ACTIONS, 'action');
  if (!action) throw bad(`${where}.action is required`);
  const rule: SeccompRule = { names: all, action };
  const errnoRet = optUint(v, 'errnoRet', `${where}.`);
  if (errnoRet !== undefined) rule.errnoRet = errnoRet;
  const args = v.args;
  if (args !== undefined && args !== null) {
    if (!Array.isArray(args)) throw bad(`${where}.args must be an array`);
    rule.args = args.map((a: unknown, j): OciArg => {
      const w = `${where}.args[${j}].`;
      if (!isObject(a)) throw bad(`${w.slice(0, -1)} must be an object`);
      const index = optUint(a, 'index', w) ?? 0;
      if (index > 5) throw bad(`${w}index must be between 0 and 5`);
      const op = oneOf(optString(a, 'op', w), OPERATORS, 'operator');
      if (!op) throw bad(`${w}op is required`);
      const arg: OciArg = { index, value: optUint(a, 'value', w) ?? 0, op };
      const valueTwo = optUint(a, 'valueTwo', w);
      if (valueTwo !== undefined) arg.valueTwo = valueTwo;
      return arg;
    });
  }
  rule.includes = parseFilter(v.includes, `${where}.includes`);
  rule.excludes = parseFilter(v.excludes, `${where}.excludes`);
  return rule;
}

/**
 * A Docker-format profile (`--security-opt seccomp=profile.json`) resolved for a container with these
 * capabilities on this host. undefined when the profile has neither a defaultAction nor syscalls, which
 * Docker reads as "no filter".
 */
export function parseSeccompProfile(json: string, capabilities: string[], host: SeccompHost = {}): SeccompConfig | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw invalidArgument(`decoding seccomp profile failed: ${(err as Error).message}`, err);
  }
  if (!isObject(doc)) throw invalidArgument('decoding seccomp profile failed: the profile must be a JSON object');
  const defaultAction = oneOf(optString(doc, 'defaultAction', '') || undefined, SECCOMP_ACTIONS, 'defaultAction');
  const rawSyscalls = doc.syscalls;
  if (rawSyscalls !== undefined && rawSyscalls !== null && !Array.isArray(rawSyscalls)) throw bad('syscalls must be an array');
  const rules = (rawSyscalls ?? []).map(parseRule);
  if (!defaultAction && rules.length === 0) return undefined;
  if (!defaultAction) throw bad('defaultAction is required');

  const architectures = optStrings(doc, 'architectures', '');
  const archMap = doc.archMap;
  if (architectures?.length && Array.isArray(archMap) && archMap.length) {
    throw bad(`both 'architectures' and 'archMap' are specified, use either 'architectures' or 'archMap'`);
  }
  const native = nativeArch(host.arch);
  const out: SeccompConfig = { defaultAction };
  const defaultErrnoRet = optUint(doc, 'defaultErrnoRet', '');
  if (defaultErrnoRet !== undefined) out.defaultErrnoRet = defaultErrnoRet;
  const arches: string[] = [];
  for (const a of architectures ?? []) arches.push(oneOf(a, ARCHITECTURES, 'architecture') as string);
  if (archMap !== undefined && archMap !== null) {
    if (!Array.isArray(archMap)) throw bad('archMap must be an array');
    const own = native ? SCMP_ARCH[native] : undefined;
    for (const [i, entry] of archMap.entries()) {
      if (!isObject(entry)) throw bad(`archMap[${i}] must be an object`);
      const arch = oneOf(optString(entry, 'architecture', `archMap[${i}].`), ARCHITECTURES, 'architecture');
      const subs = optStrings(entry, 'subArchitectures', `archMap[${i}].`) ?? [];
      subs.forEach((s) => oneOf(s, ARCHITECTURES, 'architecture'));
      if (arch !== undefined && arch === own && arches.length === 0) arches.push(arch, ...subs);
    }
  }
  if (arches.length) out.architectures = arches;
  const flags = optStrings(doc, 'flags', '');
  if (flags?.length) out.flags = flags.map((f) => oneOf(f, FLAGS, 'flag') as string);
  const listenerPath = optString(doc, 'listenerPath', '');
  if (listenerPath) out.listenerPath = listenerPath;
  const listenerMetadata = optString(doc, 'listenerMetadata', '');
  if (listenerMetadata) {
    if (!listenerPath) throw bad('listenerMetadata needs a listenerPath');
    out.listenerMetadata = listenerMetadata;
  }
  const usesNotify = defaultAction === 'SCMP_ACT_NOTIFY' || rules.some((r) => r.action === 'SCMP_ACT_NOTIFY');
  if (usesNotify && !listenerPath) throw bad('SCMP_ACT_NOTIFY needs a listenerPath');
  out.syscalls = resolveRules(rules, capabilities, native, host.kernel);
  return out;
}
