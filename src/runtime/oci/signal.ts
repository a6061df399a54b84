/** Linux signal names and numbers, parsed as Docker's signal.ParseSignal does. */
import { invalidArgument } from '../../core/errors.js';

const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11,
  USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21,
  TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** Canonical names by number (the first name listed wins: ABRT over IOT, IO over POLL). */
const NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(SIGNALS)) if (!NAMES.has(n)) NAMES.set(n, name);

function byName(name: string): number | undefined {
  if (Object.hasOwn(SIGNALS, name)) return SIGNALS[name];
  if (name === 'RTMIN') return SIGRTMIN;
  if (name === 'RTMAX') return SIGRTMAX;
  const m = /^RTM(IN|AX)([+-])(\d+)$/.exec(name);
  if (!m) return undefined;
  const off = Number(m[3]);
  const n = m[1] === 'IN' && m[2] === '+' ? SIGRTMIN + off : m[1] === 'AX' && m[2] === '-' ? SIGRTMAX - off : NaN;
  return n >= SIGRTMIN && n <= SIGRTMAX ? n : undefined;
}

/** "SIGTERM", "term", "15", 15, "RTMIN+3" → the signal number; anything else is `invalid signal: X`. */
export function parseSignal(signal: string | number): number {
  if (typeof signal === 'number') {
    if (Number.isInteger(signal) && signal >= 1 && signal <= SIGRTMAX) return signal;
    throw invalidArgument(`invalid signal: ${signal}`);
  }
  const s = signal.trim();
  if (/^\d+$/.test(s)) return parseSignal(Number(s));
  let name = s.toUpperCase();
  if (name.startsWith('SIG')) name = name.slice(3);
  const n = byName(name);
  if (n === undefined) throw invalidArgument(`invalid signal: ${signal}`);
  return n;
}

/** 15 → "SIGTERM", 36 → "SIGRTMIN+2"; a number out of range is `invalid signal: N`. */
export function signalName(n: number): string {
  const name = NAMES.get(n);
  if (name) return 'SIG' + name;
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n === SIGRTMAX) return 'SIGRTMAX';
  if (n > SIGRTMIN && n < SIGRTMAX) return n - SIGRTMIN <= SIGRTMAX - n ? `SIGRTMIN+${n - SIGRTMIN}` : `SIGRTMAX-${SIGRTMAX - n}`;
  if (Number.isInteger(n) && n >= 1 && n <= SIGRTMAX) return `SIG${n}`;
  throw invalidArgument(`invalid signal: ${n}`);
}
