/**
 * The compiled filter behaves as the profile says, syscall by syscall and architecture by architecture
 * (x86_64, x86, x32): Docker's default profile goes through profileDirectives and berth-seccomp-bpf, and
 * the BPF that comes out is run through an interpreter for every syscall of the profile (numbers from
 * libseccomp), with arguments that meet and that miss each rule's conditions, and for calls the profile
 * does not allow. Skipped only when the helper was not built (no C compiler or libseccomp-dev).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { DEFAULT_CAPABILITIES } from '../oci/capabilities.js';
import { defaultSeccompProfile } from '../oci/seccomp.js';
import type { OciSeccomp } from '../oci/types.js';
import { nativeHelper } from '../../host/native.js';
import { SeccompCompiler } from './compiler.js';
import { archName, profileDirectives } from './directives.js';
import { AUDIT_ARCH, SECCOMP_RET, runBpf } from './interpret.js';

const helper = nativeHelper('berth-seccomp-bpf');
type Rule = NonNullable<OciSeccomp['syscalls']>[number];
type Cond = NonNullable<Rule['args']>[number];

function actionValue(action: string, errnoRet: number | undefined): number {
  const a = action.replace(/^SCMP_ACT_/, '');
  if (a === 'ERRNO') return (SECCOMP_RET.ERRNO | ((errnoRet ?? 1) & 0xffff)) >>> 0;
  if (a === 'KILL' || a === 'KILL_THREAD') return SECCOMP_RET.KILL_THREAD;
  return (SECCOMP_RET as Record<string, number>)[a]!;
}

function meets(c: Cond, args: bigint[], mask: bigint): boolean {
  const v = args[c.index]! & mask;
  const a = BigInt(c.value) & mask;
  const b = BigInt(c.valueTwo ?? 0) & mask;
  switch (c.op.replace(/^SCMP_CMP_/, '')) {
    case 'EQ': return v === a;
    case 'NE': return v !== a;
    case 'LT': return v < a;
    case 'LE': return v <= a;
    case 'GT': return v > a;
    case 'GE': return v >= a;
    case 'MASKED_EQ': return (v & a) === b;
    default: throw new Error(c.op);
  }
}

/** What the profile says for one call: an unconditional rule wins, then any rule whose conditions all hold, else the default. */
function expected(p: OciSeccomp, name: string, args: bigint[], mask: bigint): number {
  const def = actionValue(p.defaultAction, p.defaultErrnoRet);
  const rules = (p.syscalls ?? []).filter((r) => r.names.includes(name) && actionValue(r.action, r.errnoRet) !== def);
  const plain = rules.find((r) => !r.args?.length);
  if (plain) return actionValue(plain.action, plain.errnoRet);
  const hit = rules.find((r) => {
    const byIndex = new Map<number, Cond[]>();
    for (const c of r.args!) byIndex.set(c.index, [...(byIndex.get(c.index) ?? []), c]);
    // conditions on one argument become one rule each (as crun adds them): any of them; different arguments: all
    const repeated = [...byIndex.values()].some((l) => l.length > 1);
    return repeated ? r.args!.some((c) => meets(c, args, mask)) : r.args!.every((c) => meets(c, args, mask));
  });
  return hit ? actionValue(hit.action, hit.errnoRet) : def;
}

/** argument vectors that meet and that miss each condition of the rules for `name` */
function argVectors(p: OciSeccomp, name: string, mask: bigint): bigint[][] {
  const out: bigint[][] = [[0n, 0n, 0n, 0n, 0n, 0n], Array(6).fill(mask) as bigint[], [0x12345n, 7n, 0n, 0n, 0n, 0n]];
  for (const r of (p.syscalls ?? []).filter((x) => x.names.includes(name) && x.args?.length)) {
    const hit = Array(6).fill(0n) as bigint[];
    const miss = Array(6).fill(0n) as bigint[];
    for (const c of r.args!) {
      const a = BigInt(c.value) & mask;
      const b = BigInt(c.valueTwo ?? 0) & mask;
      const op = c.op.replace(/^SCMP_CMP_/, '');
      hit[c.index] = op === 'NE' ? (a + 1n) & mask : op === 'LT' ? (a > 0n ? a - 1n : 0n) : op === 'GT' ? (a + 1n) & mask : op === 'MASKED_EQ' ? b : a;
      miss[c.index] = op === 'MASKED_EQ' ? (~b & a) & mask || mask : op === 'NE' ? a : op === 'LT' || op === 'LE' ? mask : op === 'EQ' ? (a + 1n) & mask : 0n;
    }
    out.push(hit, miss);
  }
  return out;
}

function resolve(arch: string, names: string[]): Map<string, number> {
  const out = execFileSync(helper!, ['--resolve', arch, ...names], { encoding: 'utf8' }).trim().split('\n').map(Number);
  return new Map(names.map((n, i) => [n, out[i]!]));
}

const NOT_IN_PROFILE = ['mount', 'umount2', 'unshare', 'setns', 'init_module', 'finit_module', 'delete_module', 'kexec_load',
  'reboot', 'swapon', 'swapoff', 'pivot_root', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'open_by_handle_at',
  'userfaultfd', 'acct', 'clock_settime', 'settimeofday', 'quotactl', 'syslog', 'iopl', 'ioperm', 'vm86', 'vm86old', 'kcmp',
  'lookup_dcookie', 'nfsservctl', 'uselib', 'fsopen', 'fsmount', 'move_mount', 'open_tree', 'sethostname', 'setdomainname'];

test('the compiled default profile does what the profile says on x86_64, x86 and x32', { skip: helper ? false : 'berth-seccomp-bpf not built' }, async () => {
  const p = defaultSeccompProfile({ capabilities: [...DEFAULT_CAPABILITIES], arch: 'x64' });
  assert.deepEqual((p.architectures ?? []).map(archName), ['x86_64', 'x86', 'x32']);
  const prog = await new SeccompCompiler(helper!).bpf(p);
  const names = [...new Set([...(p.syscalls ?? []).flatMap((r) => r.names), ...NOT_IN_PROFILE])];
  let checked = 0;
  for (const arch of ['x86_64', 'x86', 'x32'] as const) {
    const nrs = resolve(arch, names);
    // libseccomp compares 32 bits of each argument on x86 and on x32 (a 32-bit ABI), 64 on x86_64
    const mask = arch === 'x86_64' ? 0xffffffffffffffffn : 0xffffffffn;
    for (const name of names) {
      const nr = nrs.get(name)!;
      if (nr < 0) continue; // no such syscall on this architecture
      for (const args of argVectors(p, name, mask)) {
        const got = runBpf(prog, { nr, arch: AUDIT_ARCH[arch], args });
        assert.equal(got >>> 0, expected(p, name, args, mask), `${arch} ${name}(${args.join(', ')})`);
        checked++;
      }
    }
    // what Docker's profile blocks is blocked here too, with EPERM
    for (const name of NOT_IN_PROFILE) {
      const nr = nrs.get(name)!;
      if (nr >= 0) assert.equal(runBpf(prog, { nr, arch: AUDIT_ARCH[arch], args: [] }), (SECCOMP_RET.ERRNO | 1) >>> 0, `${arch} ${name}`);
    }
  }
  assert.ok(checked > 1000, `only ${checked} calls checked`);
  // an architecture the profile does not name is killed, as libseccomp's default bad-arch action
  assert.equal(runBpf(prog, { nr: 0, arch: 0xc00000b7 }), SECCOMP_RET.KILL_THREAD);
});

test('one compilation per distinct profile', { skip: helper ? false : 'berth-seccomp-bpf not built' }, async () => {
  const c = new SeccompCompiler(helper!);
  const p = defaultSeccompProfile({ capabilities: [...DEFAULT_CAPABILITIES], arch: 'x64' });
  const [a, b] = await Promise.all([c.bpf(p), c.bpf(structuredClone(p))]);
  assert.equal(c.compiled, 1);
  assert.ok(a.equals(b));
  const withAdmin = defaultSeccompProfile({ capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'x64' });
  const d = await c.bpf(withAdmin);
  assert.equal(c.compiled, 2);
  assert.ok(!a.equals(d));
  // CAP_SYS_ADMIN's profile lets mount through, the default one does not
  const mount = resolve('x86_64', ['mount']).get('mount')!;
  assert.equal(runBpf(a, { nr: mount, arch: AUDIT_ARCH.x86_64 }), (SECCOMP_RET.ERRNO | 1) >>> 0);
  assert.equal(runBpf(d, { nr: mount, arch: AUDIT_ARCH.x86_64 }), SECCOMP_RET.ALLOW);
  await assert.rejects(c.bpf({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_BOGUS' }] }), /unsupported action/);
});

test('directives: what libseccomp is told, and refusals of what cannot be passed on', () => {
  const text = profileDirectives({
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  });
  assert.equal(text, 'default ERRNO 1\narch x86_64\narch x32\nrule ALLOW 0 read 0\nrule ALLOW 0 write 0\nrule ALLOW 0 personality 1 0 EQ 8 0\nrule ERRNO 38 clone3 0\n');
  assert.throws(() => profileDirectives({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read 1'], action: 'SCMP_ACT_ERRNO' }] }), /invalid syscall name/);
  assert.throws(() => profileDirectives({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }), /argument index/);
  assert.throws(() => profileDirectives({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }] }), /out of range/);
});
