/** Size and duration parsers with go-units / Go time semantics, as the docker CLI uses them. */

const BINARY: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "512m", "1g", "1.5GB", "100" (bytes); binary multiples whatever the suffix. */
export function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const size = Number.parseFloat(m[1] as string);
  if (Number.isNaN(size)) throw new Error(`invalid size: '${s}'`);
  return Math.trunc(size * (BINARY[(m[2] ?? '').toLowerCase()] as number));
}

/** --memory-swap: -1 means unlimited, otherwise a size. */
export function parseSwap(s: string): number {
  return s === '-1' ? -1 : parseBytes(s);
}

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
  if (s === '') throw new Error(`time: invalid duration "${orig}"`);
  let total = 0;
  const re = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^\d*\.?\d*$/.test(s)) throw new Error(`time: missing unit in duration "${orig}"`);
      throw new Error(`time: invalid duration "${orig}"`);
    }
    total += Number.parseFloat(m[1] as string) * (DURATION_UNITS[m[2] as string] as number);
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** --cpus: a decimal number of CPUs, to NanoCPUs. */
export function parseCpus(s: string): number {
  if (!/^\d*\.?\d+$/.test(s)) throw new Error(`failed to parse ${s} as a rational number`);
  const n = Math.round(Number.parseFloat(s) * 1e9);
  return n;
}

/** A Go-style strconv.ParseInt for flag values. */
export function parseIntFlag(s: string): number {
  if (!/^[-+]?\d+$/.test(s.trim())) throw new Error(`strconv.ParseInt: parsing "${s}": invalid syntax`);
  return Number.parseInt(s, 10);
}
