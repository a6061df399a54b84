/**
 * `.env` / `env_file` files in the format Compose reads: `KEY=VALUE` lines, an optional `export ` prefix,
 * `#` comments, single quotes (literal), double quotes (escapes `\n`, `\t`, `\"`, `\\`, and interpolation),
 * unquoted values (interpolated, trailing ` #comment` dropped) and a bare `KEY` (taken from the lookup).
 */
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';

export interface EnvLine {
  key: string;
  /** undefined for a bare `KEY` that the lookup does not know */
  value: string | undefined;
  line: number;
}

export class EnvFileError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;

/**
 * Parses the text; values may refer to variables defined earlier in the file or known to `lookup`
 * (the caller decides which environment wins). `raw` turns interpolation and escapes off (format: raw).
 */
export function parseEnvFile(text: string, lookup: Lookup = () => undefined, raw = false): EnvLine[] {
  const out: EnvLine[] = [];
  const own = new Map<string, string>();
  const look: Lookup = (n) => lookup(n) ?? own.get(n);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let l = lines[i]!.trim();
    if (l === '' || l.startsWith('#')) continue;
    if (l.startsWith('export ')) l = l.slice(7).trimStart();
    const eq = l.indexOf('=');
    const key = (eq < 0 ? l : l.slice(0, eq)).trim();
    if (!KEY.test(key)) throw new EnvFileError(`unexpected character in variable name "${key}"`, lineNo);
    if (eq < 0) {
      out.push({ key, value: lookup(key), line: lineNo });
      continue;
    }
    let rest = l.slice(eq + 1).trimStart();
    let value: string;
    if (raw) {
      value = rest;
    } else if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) throw new EnvFileError(`unterminated quoted value for ${key}`, lineNo);
      value = rest.slice(1, end);
    } else if (rest.startsWith('"')) {
      // a double-quoted value may span lines
      let body = rest.slice(1);
      let end = closingQuote(body);
      while (end < 0 && i + 1 < lines.length) {
        i++;
        body += `\n${lines[i]}`;
        end = closingQuote(body);
      }
      if (end < 0) throw new EnvFileError(`unterminated quoted value for ${key}`, lineNo);
      value = expand(unescape(body.slice(0, end)), look, lineNo);
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      value = expand(rest.trimEnd(), look, lineNo);
    }
    own.set(key, value);
    out.push({ key, value, line: lineNo });
  }
  return out;
}

function closingQuote(s: string): number {
  for (let j = 0; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c));
}

function expand(s: string, lookup: Lookup, line: number): string {
  try {
    return interpolate(s, lookup);
  } catch (err) {
    if (err instanceof InterpolationError) throw new EnvFileError(err.message, line);
    throw err;
  }
}

/** The lines as a map (a later line wins; bare keys the lookup did not know are left out). */
export function envMap(lines: EnvLine[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of lines) if (l.value !== undefined) m.set(l.key, l.value);
  return m;
}
