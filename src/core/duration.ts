/** Go's time.Duration, both ways: ParseDuration (to nanoseconds) and String (from milliseconds). */
import { invalidArgument } from './errors.js';

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go time.ParseDuration, returning nanoseconds: "2s", "1m30s", "1.5h", "300ms", "0". */
export function parseDuration(s: string): number {
  const orig = s;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalidArgument(`time: invalid duration "${orig}"`);
  let total = 0;
  const re = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^\d*\.?\d*$/.test(s)) throw invalidArgument(`time: missing unit in duration "${orig}"`);
      throw invalidArgument(`time: invalid duration "${orig}"`);
    }
    total += Number.parseFloat(m[1] as string) * (DURATION_UNITS[m[2] as string] as number);
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** Go's time.Duration text for whole milliseconds ("30s", "1.5s", "500ms", "1m30s"), as in Docker's timeout message. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
