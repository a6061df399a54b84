/**
 * Variable interpolation as the Compose Specification defines it: `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, nested
 * expressions inside defaults and replacements, and `$$` for a literal `$`. Pure: the lookup is given.
 */
import type { ModelPath } from './errors.js';

export type Lookup = (name: string) => string | undefined;

/** Thrown for `${VAR?err}` / `${VAR:?err}` and for malformed expressions; the caller adds file/path/line. */
export class InterpolationError extends Error {
  constructor(message: string, readonly path: ModelPath = []) {
    super(message);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Interpolates one string. */
export function interpolate(s: string, lookup: Lookup): string {
  if (!s.includes('$')) return s;
  const [out, end] = scan(s, 0, lookup, false);
  if (end !== s.length) throw new InterpolationError(`invalid interpolation format for "${s}"`);
  return out;
}

/**
 * Scans from `i` until the end of the string (or, when `inBraces`, until the `}` closing the current
 * expression, which is not consumed). Returns the text produced and where it stopped.
 */
function scan(s: string, i: number, lookup: Lookup, inBraces: boolean, lenient = false): [string, number] {
  let out = '';
  while (i < s.length) {
    const c = s[i]!;
    if (inBraces && c === '}') return [out, i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const [v, end] = braced(s, i + 2, lookup, lenient);
      out += v;
      i = end;
      continue;
    }
    const m = NAME.exec(s.slice(i + 1));
    if (m) {
      out += lookup(m[0]) ?? '';
      i += 1 + m[0].length;
      continue;
    }
    // a lone `$` (end of string or followed by something that is no name) stays as it is
    out += '$';
    i++;
  }
  if (inBraces) throw new InterpolationError(`invalid interpolation format for "${s}": missing closing brace`);
  return [out, i];
}

/** `${` already consumed at `i`; returns the value and the index after the closing `}`. */
function braced(s: string, i: number, lookup: Lookup, lenient: boolean): [string, number] {
  const m = NAME.exec(s.slice(i));
  if (!m) throw new InterpolationError(`invalid interpolation format for "${s}": expected a variable name after "\${"`);
  const name = m[0];
  i += name.length;
  const value = lookup(name);
  if (s[i] === '}') return [value ?? '', i + 1];
  if (i >= s.length) throw new InterpolationError(`invalid interpolation format for "${s}": missing closing brace`);
  let op: string;
  if (s.startsWith(':-', i) || s.startsWith(':?', i) || s.startsWith(':+', i)) op = s.slice(i, i + 2);
  else if (s[i] === '-' || s[i] === '?' || s[i] === '+') op = s[i]!;
  else throw new InterpolationError(`invalid interpolation format for "${s}": unexpected "${s[i] ?? 'end of string'}" after \${${name}`);
  i += op.length;
  // the operand is itself interpolated, but only when it is used (an unused `${X:?}` must not fail)
  const unset = value === undefined;
  const empty = unset || value === '';
  const failing = op === ':?' ? empty : op === '?' ? unset : false;
  const [operand, end] = scan(s, i, lookup, true, lenient || !(failing || useOperand(op, unset, empty)));
  const after = end + 1;
  switch (op) {
    case ':-': return [empty ? operand : (value as string), after];
    case '-': return [unset ? operand : (value as string), after];
    case ':+': return [empty ? '' : operand, after];
    case '+': return [unset ? '' : operand, after];
    case ':?':
    case '?':
      if (failing && !lenient) throw new InterpolationError(`required variable ${name} is missing a value${operand ? `: ${operand}` : ''}`);
      return [value ?? '', after];
  }
  throw new InterpolationError(`invalid interpolation format for "${s}"`);
}

function useOperand(op: string, unset: boolean, empty: boolean): boolean {
  return op === ':-' ? empty : op === '-' ? unset : op === ':+' ? !empty : !unset;
}

/**
 * Interpolates every string value of a model (keys are left alone), returning a new value. Errors carry
 * the path of the value that failed.
 */
export function interpolateTree(v: unknown, lookup: Lookup, path: (string | number)[] = []): unknown {
  if (typeof v === 'string') {
    try {
      return interpolate(v, lookup);
    } catch (err) {
      if (err instanceof InterpolationError) throw new InterpolationError(err.message, path);
      throw err;
    }
  }
  if (Array.isArray(v)) return v.map((x, i) => interpolateTree(x, lookup, [...path, i]));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = interpolateTree(x, lookup, [...path, k]);
    return out;
  }
  return v;
}
