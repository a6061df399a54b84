/**
 * Printing JSON-shaped values the way Go's fmt prints the values the docker CLI formats: maps as
 * `map[k:v]` (keys sorted), slices as `[a b]`, nil as `<nil>`, integers without exponent, other floats
 * as %g would. Numbers that are integers stand for Go ints, the others for float64.
 */

/** Go's "invalid reflect.Value": a missing map key. Printed as `<no value>`. */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Go type name a value stands for, for error messages and %!verb(type=value). */
export function goType(v: unknown): string {
  if (v === MISSING || v === undefined) return '<nil>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** strconv.FormatFloat(f, 'g', -1, 64), which is also fmt's %v for a float64. */
export function formatFloatG(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, expStr] = f.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  // Shortest precision: exponent form when exp < -4 || exp >= 6 (strconv's eprec for shortest).
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/** %v for a number: integers as Go ints (no exponent), the others as float64. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
  return formatFloatG(n);
}

/** fmt's %v. */
export function printValue(v: unknown): string {
  if (v === MISSING || v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return '[' + v.map(printValue).join(' ') + ']';
  if (isObject(v)) {
    return 'map[' + Object.keys(v).sort().map((k) => `${k}:${printValue(v[k])}`).join(' ') + ']';
  }
  return String(v);
}

/** strconv.Quote */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if ((c >= 0x80 && c < 0xa0) || c === 0x2028 || c === 0x2029 || (c >= 0xd800 && c <= 0xdfff) || c === 0xfeff) {
      out += c > 0xffff ? '\\U' + c.toString(16).padStart(8, '0') : '\\u' + c.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | null;
  prec: number | null;
}

function pad(s: string, sp: Spec, numeric = false): string {
  if (sp.width === null || s.length >= sp.width) return s;
  const n = sp.width - s.length;
  if (sp.minus) return s + ' '.repeat(n);
  if (sp.zero && numeric) {
    const sign = /^[+-]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  return ' '.repeat(n) + s;
}

const bad = (verb: string, v: unknown) => `%!${verb}(${goType(v)}=${v === null || v === MISSING || v === undefined ? '<nil>' : printValue(v)})`;

function fmtInt(n: number, base: number, sp: Spec, upper = false): string {
  let s = Math.abs(n) < 2 ** 53 ? Math.abs(n).toString(base) : BigInt(Math.abs(n)).toString(base);
  if (upper) s = s.toUpperCase();
  if (sp.prec !== null) s = s.padStart(sp.prec, '0');
  if (sp.sharp) s = (base === 16 ? (upper ? '0X' : '0x') : base === 8 ? '0' : base === 2 ? '0b' : '') + s;
  return (n < 0 ? '-' : sp.plus ? '+' : sp.space ? ' ' : '') + s;
}

function fmtFloat(f: number, verb: string, sp: Spec): string {
  let s: string;
  const prec = sp.prec ?? (verb === 'g' || verb === 'G' ? -1 : 6);
  if (!Number.isFinite(f)) s = Number.isNaN(f) ? 'NaN' : f > 0 ? (sp.plus ? '+Inf' : 'Inf') : '-Inf';
  else if (verb === 'f' || verb === 'F') s = f.toFixed(prec);
  else if (verb === 'e' || verb === 'E') {
    const [m, e] = f.toExponential(prec).split('e') as [string, string];
    s = `${m}e${e.startsWith('-') ? '-' : '+'}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
  } else {
    s = prec < 0 ? formatFloatG(f) : (() => {
      const exp = f === 0 ? 0 : Math.floor(Math.log10(Math.abs(f)));
      const p = prec === 0 ? 1 : prec;
      if (exp < -4 || exp >= p) {
        const [m, e] = f.toExponential(p - 1).split('e') as [string, string];
        return `${m.includes('.') ? m.replace(/\.?0+$/, '') : m}e${e.startsWith('-') ? '-' : '+'}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
      }
      return String(Number(f.toPrecision(p)));
    })();
  }
  if (verb === 'E' || verb === 'G') s = s.toUpperCase();
  if (sp.plus && f >= 0 && !s.startsWith('+')) s = '+' + s;
  return s;
}

function formatOne(verb: string, v: unknown, sp: Spec): string {
  if (Array.isArray(v) && verb !== 'v' && !(verb === 'x' || verb === 'X') && verb !== 'T') {
    return pad('[' + v.map((e) => formatOne(verb, e, { ...sp, width: null })).join(' ') + ']', sp);
  }
  switch (verb) {
    case 'v':
      if (typeof v === 'string' && sp.sharp) return pad(goQuote(v), sp);
      if (typeof v === 'number' && Number.isInteger(v)) return pad(fmtInt(v, 10, sp), sp, true);
      if (typeof v === 'number') return pad(fmtFloat(v, 'g', sp), sp, true);
      return pad(v === MISSING || v === undefined ? '<nil>' : printValue(v), sp);
    case 'T':
      return pad(goType(v), sp);
    case 's':
      if (typeof v === 'string') return pad(sp.prec !== null ? [...v].slice(0, sp.prec).join('') : v, sp);
      if (isObject(v)) return pad('map[' + Object.keys(v).sort().map((k) => `${k}:${formatOne('s', v[k], { ...sp, width: null })}`).join(' ') + ']', sp);
      return bad(verb, v);
    case 'q':
      if (typeof v === 'string') return pad(sp.sharp && !v.includes('`') ? '`' + v + '`' : goQuote(v), sp);
      if (typeof v === 'number' && Number.isInteger(v)) return pad(`'${String.fromCodePoint(v)}'`, sp);
      return bad(verb, v);
    case 'd':
    case 'b':
    case 'o':
    case 'O':
      if (typeof v === 'number' && Number.isInteger(v)) {
        const s = fmtInt(v, verb === 'd' ? 10 : verb === 'b' ? 2 : 8, sp);
        return pad(verb === 'O' ? s.replace(/^([+-]?)/, '$10o') : s, sp, true);
      }
      if (verb === 'b' && typeof v === 'number') return bad(verb, v);
      return bad(verb, v);
    case 'x':
    case 'X': {
      const upper = verb === 'X';
      if (typeof v === 'number' && Number.isInteger(v)) return pad(fmtInt(v, 16, sp, upper), sp, true);
      if (typeof v === 'string') {
        let h = Buffer.from(v).toString('hex');
        if (upper) h = h.toUpperCase();
        return pad(h, sp);
      }
      if (Array.isArray(v)) return pad('[' + v.map((e) => formatOne(verb, e, { ...sp, width: null })).join(' ') + ']', sp);
      return bad(verb, v);
    }
    case 'c':
      if (typeof v === 'number' && Number.isInteger(v)) return pad(String.fromCodePoint(v), sp);
      return bad(verb, v);
    case 't':
      if (typeof v === 'boolean') return pad(String(v), sp);
      return bad(verb, v);
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      if (typeof v === 'number') return pad(fmtFloat(v, verb, sp), sp, true);
      return bad(verb, v);
    default:
      return `%!${verb}(${goType(v)}=${printValue(v)})`;
  }
}

/** fmt.Sprintf with the common verbs, flags, width and precision (including `*`). */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const sp: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: null, prec: null };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') sp.minus = true;
      else if (c === '+') sp.plus = true;
      else if (c === '#') sp.sharp = true;
      else if (c === ' ') sp.space = true;
      else if (c === '0') sp.zero = !sp.minus;
      else break;
    }
    const num = () => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return typeof a === 'number' ? Math.trunc(a) : null;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return null;
      i += m[0].length;
      return Number(m[0]);
    };
    sp.width = num();
    if (sp.width !== null && sp.width < 0) {
      sp.minus = true;
      sp.width = -sp.width;
    }
    if (format[i] === '.') {
      i++;
      sp.prec = num() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[argi++], sp);
  }
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => `${goType(a)}=${printValue(a === MISSING ? null : a)}`).join(', ') + ')';
  }
  return out;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += a === MISSING ? '<nil>' : printValue(a);
  });
  return out;
}

/** fmt.Sprintln */
export function sprintln(args: readonly unknown[]): string {
  return args.map((a) => (a === MISSING ? '<nil>' : printValue(a))).join(' ') + '\n';
}
