/**
 * A classic-BPF interpreter for seccomp programs (the subset seccomp allows: loads from seccomp_data,
 * ALU, jumps, returns), so tests can ask a compiled filter what it does with a given syscall, architecture
 * and arguments, without loading it into the kernel.
 */

/** struct seccomp_data: nr, arch, instruction_pointer, args[6] (64-bit, little-endian halves) */
export interface SeccompData { nr: number; arch: number; args?: bigint[] }

export const AUDIT_ARCH = { x86_64: 0xc000003e, x86: 0x40000003, x32: 0xc000003e } as const;
/** x32 syscalls are x86_64's with this bit set */
export const X32_SYSCALL_BIT = 0x40000000;

export const SECCOMP_RET = { KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000, TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000 } as const;

function word(d: SeccompData, off: number): number {
  if (off === 0) return d.nr >>> 0;
  if (off === 4) return d.arch >>> 0;
  if (off === 8 || off === 12) return 0; // instruction pointer
  if (off >= 16 && off < 64 && off % 4 === 0) {
    const a = d.args?.[Math.floor((off - 16) / 8)] ?? 0n;
    return Number((off % 8 === 0 ? a : a >> 32n) & 0xffffffffn);
  }
  throw new Error(`bpf: load out of seccomp_data at ${off}`);
}

/** Runs the program; returns the 32-bit SECCOMP_RET_* value. */
export function runBpf(prog: Buffer, d: SeccompData): number {
  let A = 0;
  let X = 0;
  const M = new Array<number>(16).fill(0);
  const n = prog.length / 8;
  for (let pc = 0, steps = 0; pc < n; pc++) {
    if (++steps > 100000) throw new Error('bpf: runaway program');
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog[pc * 8 + 2]!;
    const jf = prog[pc * 8 + 3]!;
    const k = prog.readUInt32LE(pc * 8 + 4);
    const cls = code & 0x07;
    if (cls === 0x00) { // LD
      const mode = code & 0xe0;
      if (mode === 0x20) A = word(d, k); // ABS
      else if (mode === 0x00) A = k; // IMM
      else if (mode === 0x60) A = M[k]!; // MEM
      else throw new Error(`bpf: ld mode ${mode}`);
    } else if (cls === 0x01) { // LDX
      const mode = code & 0xe0;
      if (mode === 0x00) X = k; else if (mode === 0x60) X = M[k]!; else throw new Error(`bpf: ldx mode ${mode}`);
    } else if (cls === 0x02) M[k] = A; // ST
    else if (cls === 0x03) M[k] = X; // STX
    else if (cls === 0x04) { // ALU
      const src = code & 0x08 ? X : k;
      switch (code & 0xf0) {
        case 0x00: A = (A + src) >>> 0; break;
        case 0x10: A = (A - src) >>> 0; break;
        case 0x20: A = Math.imul(A, src) >>> 0; break;
        case 0x30: A = src ? Math.floor(A / src) >>> 0 : 0; break;
        case 0x40: A = (A | src) >>> 0; break;
        case 0x50: A = (A & src) >>> 0; break;
        case 0x60: A = (A << src) >>> 0; break;
        case 0x70: A = A >>> src; break;
        case 0x80: A = (-A) >>> 0; break;
        case 0xa0: A = (A ^ src) >>> 0; break;
        default: throw new Error(`bpf: alu op ${code & 0xf0}`);
      }
    } else if (cls === 0x05) { // JMP
      const op = code & 0xf0;
      if (op === 0x00) { pc += k; continue; }
      const src = code & 0x08 ? X : k;
      const c = op === 0x10 ? A === src : op === 0x20 ? A > src : op === 0x30 ? A >= src : op === 0x40 ? (A & src) !== 0 : (() => { throw new Error(`bpf: jmp op ${op}`); })();
      pc += c ? jt : jf;
    } else if (cls === 0x06) { // RET
      return (code & 0x18) === 0x10 ? A : k;
    } else if (cls === 0x07) { // MISC
      if ((code & 0xf8) === 0x00) X = A; else A = X;
    }
  }
  throw new Error('bpf: fell off the end of the program');
}
