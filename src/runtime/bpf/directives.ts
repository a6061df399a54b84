/**
 * An OCI seccomp profile as the line directives berth-seccomp-bpf reads (native/seccomp-bpf.c): pure, so
 * what reaches libseccomp is unit-tested. Names and values are checked here: a profile that would need
 * quoting or holds a value out of range is refused, never passed on changed.
 */
import { invalidArgument } from '../../core/errors.js';
import type { OciSeccomp } from '../oci/types.js';

const ACTIONS = new Set(['ALLOW', 'ERRNO', 'TRACE', 'KILL', 'KILL_THREAD', 'KILL_PROCESS', 'TRAP', 'LOG']);
const OPS = new Set(['NE', 'LT', 'LE', 'EQ', 'GE', 'GT', 'MASKED_EQ']);
const EPERM = 1;

function action(name: string): string {
  const a = name.replace(/^SCMP_ACT_/, '');
  if (!ACTIONS.has(a)) throw invalidArgument(`seccomp: unsupported action ${name}`);
  return a;
}

function word(v: string, what: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(v)) throw invalidArgument(`seccomp: invalid ${what} ${JSON.stringify(v)}`);
  return v;
}

function u64(v: number | bigint | undefined, what: string): string {
  const n = BigInt(v ?? 0);
  if (n < 0n || n > 0xffffffffffffffffn) throw invalidArgument(`seccomp: ${what} out of range: ${n}`);
  return n.toString();
}

/** libseccomp's name for an OCI architecture (SCMP_ARCH_X86_64 -> x86_64), as crun lowercases it */
export function archName(a: string): string {
  return word(a.replace(/^SCMP_ARCH_/, '').toLowerCase(), 'architecture');
}

export function profileDirectives(p: OciSeccomp): string {
  const errnoOf = (act: string, e: number | undefined) => (act === 'ERRNO' || act === 'TRACE' ? String(e ?? EPERM) : '0');
  const def = action(p.defaultAction);
  const lines = [`default ${def} ${errnoOf(def, p.defaultErrnoRet)}`];
  for (const a of p.architectures ?? []) lines.push(`arch ${archName(a)}`);
  for (const s of p.syscalls ?? []) {
    const act = action(s.action);
    const args = (s.args ?? []).slice(0, 6);
    const conds = args.map((c) => {
      if (!Number.isInteger(c.index) || c.index < 0 || c.index > 5) throw invalidArgument(`seccomp: invalid argument index ${c.index}`);
      const op = c.op.replace(/^SCMP_CMP_/, '');
      if (!OPS.has(op)) throw invalidArgument(`seccomp: unsupported operator ${c.op}`);
      return `${c.index} ${op} ${u64(c.value, 'value')} ${u64(c.valueTwo, 'valueTwo')}`;
    });
    for (const name of s.names ?? []) {
      lines.push(`rule ${act} ${errnoOf(act, s.errnoRet)} ${word(name, 'syscall name')} ${conds.length}${conds.length ? ` ${conds.join(' ')}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
