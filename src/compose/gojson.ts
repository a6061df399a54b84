/**
 * Go's encoding/json, as far as the config hash needs it: string escaping (HTML characters and the
 * line/paragraph separators escaped, as json.Marshal does), shortest float32 text, and the value types
 * compose-go marshals in its own way (time.Duration text, go-units sizes, octal file modes).
 */

/** A JSON string as Go's json.Marshal writes it (HTML-safe escaping). */
export function goString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // a lone surrogate is invalid UTF-8 for Go: it writes the replacement character
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += ch + s[i + 1]!;
        i++;
      } else out += '\\ufffd';
    } else out += ch;
  }
  return `${out}"`;
}

/** Go sorts map keys by their UTF-8 bytes. */
export function goSortKeys(keys: string[]): string[] {
  return keys.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

/** A float64 as Go's json.Marshal writes it ('f' format, 'e' for very small or large magnitudes). */
function goFloatText(f: number, shortest: string): string {
  const abs = Math.abs(f);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    // Go writes 1e-07 and then shortens a negative one-digit exponent to 1e-7
    const [m, e] = Number(shortest).toExponential().split('e') as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`.replace(/e-0(\d)$/, 'e-$1');
  }
  return String(Number(shortest));
}

/** A float32 field (cpus, cpu_percent): the shortest decimal that reads back as the same float32. */
export function goFloat32(x: number): string {
  const f = Math.fround(x);
  if (f === 0) return '0';
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return goFloatText(f, s);
  }
  return goFloatText(f, String(f));
}

const DURATION_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9, w: 7 * 86400e9 };

/** compose-go's duration parsing (str2duration: Go's units plus d and w), to nanoseconds. */
export function composeDurationNs(v: unknown): number {
  let s = String(v).trim();
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0' || s === '') return 0;
  let total = 0;
  const re = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h|d|w)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') throw new Error(`time: invalid duration "${String(v)}"`);
    total += Number.parseFloat(m[1]!) * DURATION_NS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** `v` ("0.500") with its trailing fractional zeros (and a bare dot) removed. */
const trimFrac = (int: number, frac: number, digits: number): string => {
  if (frac === 0) return String(int);
  return `${int}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`;
};

/** Go's time.Duration.String(): "0s", "500ms", "1.5µs", "10s", "1m30s", "1h0m0s". */
export function goDurationString(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(ns);
  let out: string;
  if (u < 1e9) {
    if (u < 1e3) out = `${u}ns`;
    else if (u < 1e6) out = `${trimFrac(Math.floor(u / 1e3), u % 1e3, 3)}µs`;
    else out = `${trimFrac(Math.floor(u / 1e6), u % 1e6, 6)}ms`;
  } else {
    const secs = Math.floor(u / 1e9);
    const frac = u % 1e9;
    out = `${trimFrac(secs % 60, frac, 9)}s`;
    u = Math.floor(secs / 60);
    if (u > 0) {
      out = `${u % 60}m${out}`;
      u = Math.floor(u / 60);
      if (u > 0) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** go-units RAMInBytes (what compose-go's UnitBytes reads): binary multiples whatever the suffix. */
export function goRamInBytes(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  const s = String(v);
  const m = /^(\d*\.?\d+(?:[eE][-+]?\d+)?) ?([kKmMgGtTpP])?([iI]?[bB])?$/.exec(s) ?? /^(\d*\.?\d+) ?([bB])$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const mult = m[2] && !/^[bB]$/.test(m[2]) ? 1024 ** ('kmgtp'.indexOf(m[2].toLowerCase()) + 1) : 1;
  return Math.trunc(Number(m[1]) * mult);
}

/** A FileMode as compose-go writes it: "0" and the octal digits. */
export function goFileMode(v: unknown): string {
  const n = typeof v === 'number' ? v : Number.parseInt(String(v), 8);
  return `"0${n.toString(8)}"`;
}
