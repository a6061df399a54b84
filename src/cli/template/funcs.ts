/**
 * Template functions: Go's text/template builtins and the docker CLI's additions (json, split, join,
 * title, lower, upper, pad, truncate). `and`/`or` are evaluated lazily by the executor.
 */
import { MISSING, goType, isObject, printValue, sprint, sprintf, sprintln } from './format.js';

/** A function's own failure; the executor reports it as `error calling NAME: MESSAGE`. */
export class FuncError extends Error {}
/** A wrong argument; the executor reports it at the argument, without "error calling". */
export class ArgError extends Error {}

export interface FuncDef {
  min: number;
  /** -1: variadic */
  max: number;
  fn: (args: unknown[]) => unknown;
}

const wrongType = (want: string, v: unknown) => new ArgError(`wrong type for value; expected ${want}; got ${goType(v)}`);

export function asString(v: unknown): string {
  if (typeof v !== 'string') throw wrongType('string', v);
  return v;
}
export function asInt(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType('int', v);
  return v;
}
function asStrings(v: unknown): string[] {
  if (!Array.isArray(v)) throw wrongType('[]string', v);
  return v.map((e) => (typeof e === 'string' ? e : printValue(e)));
}

/** Go's truth: false, 0, "", nil, empty slices and maps (and missing values) are false. */
export function truth(v: unknown): boolean {
  if (v === MISSING || v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

type Kind = 'bool' | 'number' | 'string' | 'nil' | 'complex';
const kindOf = (v: unknown): Kind =>
  v === null || v === MISSING || v === undefined ? 'nil' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : typeof v === 'string' ? 'string' : 'complex';

function eq(args: unknown[]): boolean {
  if (args.length < 2) throw new FuncError('missing argument for comparison');
  const [a, ...rest] = args;
  const ka = kindOf(a);
  for (const b of rest) {
    const kb = kindOf(b);
    if (ka === 'nil' || kb === 'nil') {
      if (ka === kb) return true;
      continue;
    }
    if (ka !== kb) throw new FuncError('incompatible types for comparison');
    if (ka === 'complex') throw new FuncError(`non-comparable type ${printValue(a)}: ${goType(a)}`);
    if (a === b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== 'number' && ka !== 'string') throw new FuncError('invalid type for comparison');
  if (ka !== kb) throw new FuncError('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

function indexOne(item: unknown, idx: unknown): unknown {
  if (item === null || item === MISSING || item === undefined) throw new FuncError('index of untyped nil');
  if (Array.isArray(item) || typeof item === 'string') {
    const i = asInt(idx);
    const len = typeof item === 'string' ? Buffer.byteLength(item) : item.length;
    if (i < 0 || i >= len) throw new FuncError(`index out of range: ${i}`);
    return typeof item === 'string' ? (Buffer.from(item)[i] as number) : item[i];
  }
  if (isObject(item)) {
    if (typeof idx !== 'string') throw new FuncError(`value has type ${goType(idx)}; should be string`);
    return Object.hasOwn(item, idx) ? item[idx] : null;
  }
  throw new FuncError(`can't index item of type ${goType(item)}`);
}

function slice(args: unknown[]): unknown {
  const [item, ...idx] = args;
  if (item === null || item === MISSING) throw new FuncError('slice of untyped nil');
  if (idx.length > 3) throw new FuncError(`too many slice indexes: ${idx.length}`);
  const isStr = typeof item === 'string';
  if (!isStr && !Array.isArray(item)) throw new FuncError(`can't slice item of type ${goType(item)}`);
  if (isStr && idx.length === 3) throw new FuncError('cannot 3-index slice a string');
  const buf = isStr ? Buffer.from(item) : null;
  const len = buf ? buf.length : (item as unknown[]).length;
  const ix = idx.map(asInt);
  const lo = ix[0] ?? 0;
  const hi = ix[1] ?? len;
  for (const n of ix) if (n < 0 || n > len) throw new FuncError(`index out of range: ${n}`);
  if (lo > hi) throw new FuncError(`invalid slice index: ${lo} > ${hi}`);
  return buf ? buf.subarray(lo, hi).toString() : (item as unknown[]).slice(lo, hi);
}

function length(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  if (v === null || v === MISSING) throw new FuncError('len of nil pointer');
  throw new FuncError(`len of type ${goType(v)}`);
}

const isSeparator = (c: string) => {
  if (c.charCodeAt(0) <= 0x7f) return !/[0-9a-zA-Z_]/.test(c);
  if (/[\p{L}\p{Nd}]/u.test(c)) return false;
  return /\s/u.test(c);
};
/** strings.Title */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    out += isSeparator(prev) ? c.toUpperCase() : c;
    prev = c;
  }
  return out;
}

/** encoding/json with SetEscapeHTML(false), trailing newline trimmed (docker's `json`). */
export function toJSON(v: unknown): string {
  const s = JSON.stringify(v === MISSING || v === undefined ? null : v, (_k, x: unknown) => (x === undefined ? null : x)) ?? 'null';
  return s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const htmlEscape = (s: string) => s.replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c] as string);
const evalArgs = (args: unknown[]) => (args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args));
function jsEscape(s: string): string {
  return s.replace(/[\\'"<>&=\n\r\t\0]|[\u0000-\u001f]/g, (c) => {
    switch (c) {
      case '\\': return '\\\\';
      case "'": return "\\'";
      case '"': return '\\"';
      case '<': return '\\u003C';
      case '>': return '\\u003E';
      case '&': return '\\u0026';
      case '=': return '\\u003D';
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      default: return '\\u' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    }
  });
}

export const FUNCS: Record<string, FuncDef> = {
  // Go builtins (and/or are lazy: see exec.ts)
  and: { min: 1, max: -1, fn: (a) => a.find((x) => !truth(x)) ?? a.at(-1) },
  or: { min: 1, max: -1, fn: (a) => a.find((x) => truth(x)) ?? a.at(-1) },
  not: { min: 1, max: 1, fn: ([a]) => !truth(a) },
  len: { min: 1, max: 1, fn: ([a]) => length(a) },
  index: { min: 1, max: -1, fn: ([item, ...idx]) => idx.reduce((acc, i) => indexOne(acc, i), item) },
  slice: { min: 1, max: -1, fn: slice },
  print: { min: 0, max: -1, fn: sprint },
  println: { min: 0, max: -1, fn: sprintln },
  printf: { min: 1, max: -1, fn: ([f, ...rest]) => sprintf(asString(f), rest) },
  eq: { min: 1, max: -1, fn: eq },
  ne: { min: 2, max: 2, fn: (a) => !eq(a) },
  lt: { min: 2, max: 2, fn: ([a, b]) => lt(a, b) },
  le: { min: 2, max: 2, fn: ([a, b]) => lt(a, b) || eq([a, b]) },
  gt: { min: 2, max: 2, fn: ([a, b]) => !lt(a, b) && !eq([a, b]) },
  ge: { min: 2, max: 2, fn: ([a, b]) => !lt(a, b) },
  html: { min: 0, max: -1, fn: (a) => htmlEscape(evalArgs(a)) },
  js: { min: 0, max: -1, fn: (a) => jsEscape(evalArgs(a)) },
  urlquery: { min: 0, max: -1, fn: (a) => encodeURIComponent(evalArgs(a)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()) },
  call: { min: 1, max: -1, fn: ([f]) => { throw new FuncError(`non-function ${printValue(f)} of type ${goType(f)}`); } },
  // docker CLI (cli/templates/templates.go)
  json: { min: 1, max: 1, fn: ([v]) => toJSON(v) },
  split: { min: 2, max: 2, fn: ([s, sep]) => (asString(sep) === '' ? [...asString(s)] : asString(s).split(sep as string)) },
  join: { min: 2, max: 2, fn: ([a, sep]) => asStrings(a).join(asString(sep)) },
  title: { min: 1, max: 1, fn: ([s]) => title(asString(s)) },
  lower: { min: 1, max: 1, fn: ([s]) => asString(s).toLowerCase() },
  upper: { min: 1, max: 1, fn: ([s]) => asString(s).toUpperCase() },
  pad: { min: 3, max: 3, fn: ([s, p, q]) => (asString(s) === '' ? '' : ' '.repeat(Math.max(0, asInt(p))) + s + ' '.repeat(Math.max(0, asInt(q)))) },
  truncate: { min: 2, max: 2, fn: ([s, n]) => (asString(s).length < asInt(n) ? s : (s as string).slice(0, Math.max(0, n as number))) },
};

