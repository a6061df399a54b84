/**
 * Variable substitution in Dockerfile words, as BuildKit's shell lexer does it (not a shell: no globbing,
 * no command substitution):
 *
 *   'single'      literal
 *   "double"      `$` expands; the escape character escapes `"`, `$` and itself, and is kept before others
 *   \x            (outside quotes) the next character, literally
 *   $v ${v}       the value, or empty when unset
 *   ${v:-w} ${v-w}  w when v is unset or empty (`:`) / unset
 *   ${v:+w} ${v+w}  w when v is set and not empty (`:`) / set, else empty
 *   ${v:?e} ${v?e}  an error `v: e` when v is unset or empty (`:`) / unset
 *   ${#v} ${v#p} ${v##p} ${v%p} ${v%%p} ${v/p/r} ${v//p/r}  length, prefix/suffix removal, replacement
 *
 * Words are what the instruction's arguments split into on unquoted white space (`ProcessWords`).
 */
import { invalidArgument } from '../../core/errors.js';

export type Lookup = (name: string) => string | undefined;

export interface Expansion {
  /** the word with quotes removed and variables substituted */
  value: string;
  /** the words (unquoted white space splits them) */
  words: string[];
  /** names of the variables it referenced, set or not */
  used: Set<string>;
}

const isNameStart = (c: string) => /[A-Za-z_]/.test(c);
const isNameChar = (c: string) => /[A-Za-z0-9_]/.test(c);

class Lexer {
  private i = 0;
  readonly used = new Set<string>();
  private words: string[] = [];
  private cur = '';
  private inWord = false;

  constructor(private readonly s: string, private readonly env: Lookup, private readonly esc: string) {}

  run(): Expansion {
    const value = this.process('');
    if (this.inWord) this.words.push(this.cur);
    return { value, words: this.words, used: this.used };
  }

  private add(t: string, quoted = false) {
    this.cur += t;
    if (t !== '' || quoted) this.inWord = true;
  }

  private split() {
    if (this.inWord) this.words.push(this.cur);
    this.cur = '';
    this.inWord = false;
  }

  /** Reads up to an unescaped `stop` character (or the end); the top level also tracks words. */
  private process(stop: string, top = stop === ''): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (stop && c === stop) return out;
      if (c === "'") {
        this.i++;
        const end = this.s.indexOf("'", this.i);
        if (end < 0) throw invalidArgument('unexpected end of statement while looking for matching single-quote');
        const t = this.s.slice(this.i, end);
        this.i = end + 1;
        out += t;
        if (top) this.add(t, true);
      } else if (c === '"') {
        this.i++;
        const t = this.doubleQuoted();
        out += t;
        if (top) this.add(t, true);
      } else if (c === '$') {
        const t = this.dollar();
        out += t;
        if (top) this.addExpanded(t);
      } else if (c === this.esc) {
        this.i++;
        if (this.i >= this.s.length) {
          out += c;
          if (top) this.add(c);
          break;
        }
        const n = this.s[this.i++]!;
        out += n;
        if (top) this.add(n, true);
      } else {
        this.i++;
        out += c;
        if (top) {
          if (/\s/.test(c)) this.split();
          else this.add(c);
        }
      }
    }
    if (stop) throw invalidArgument(`syntax error: missing '${stop}'`);
    return out;
  }

  /** An unquoted expansion splits into words on its white space. */
  private addExpanded(t: string) {
    for (let k = 0; k < t.length; k++) {
      if (/\s/.test(t[k]!)) this.split();
      else this.add(t[k]!);
    }
  }

  private doubleQuoted(): string {
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === '$') out += this.dollar();
      else if (c === this.esc && this.i + 1 < this.s.length && ['"', '$', this.esc].includes(this.s[this.i + 1]!)) {
        out += this.s[this.i + 1];
        this.i += 2;
      } else {
        out += c;
        this.i++;
      }
    }
    throw invalidArgument('unexpected end of statement while looking for matching double-quote');
  }

  private name(): string {
    const start = this.i;
    while (this.i < this.s.length && isNameChar(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }

  private dollar(): string {
    this.i++; // $
    const c = this.s[this.i];
    if (c === undefined) return '$';
    if (c !== '{') {
      if (!isNameStart(c)) return '$';
      const n = this.name();
      this.used.add(n);
      return this.env(n) ?? '';
    }
    this.i++; // {
    if (this.s[this.i] === '#') {
      this.i++;
      const n = this.name();
      this.expect('}');
      this.used.add(n);
      return String((this.env(n) ?? '').length);
    }
    const n = this.name();
    if (!n) throw invalidArgument(`failed to process "${this.s}": missing ':' in substitution`);
    this.used.add(n);
    const v = this.env(n);
    const c2 = this.s[this.i];
    if (c2 === '}') {
      this.i++;
      return v ?? '';
    }
    let op = '';
    if (c2 === ':') {
      op = ':';
      this.i++;
    }
    const m = this.s[this.i];
    if (m === undefined) throw invalidArgument(`syntax error: missing '}'`);
    this.i++;
    if (op === ':' && !['-', '+', '?'].includes(m)) throw invalidArgument(`unsupported modifier (${m}) in substitution`);
    if (m === '#' || m === '%') {
      const longest = this.s[this.i] === m;
      if (longest) this.i++;
      const pat = this.sub('}');
      return trimPattern(v ?? '', pat, m === '#', longest);
    }
    if (m === '/') {
      const all = this.s[this.i] === '/';
      if (all) this.i++;
      const pat = this.subUntil(['/', '}']);
      let rep = '';
      if (this.s[this.i - 1] === '/') rep = this.sub('}');
      return replacePattern(v ?? '', pat, rep, all);
    }
    const word = this.sub('}');
    const unset = v === undefined;
    const empty = unset || (op === ':' && v === '');
    switch (m) {
      case '-':
        return empty ? word : v!;
      case '+':
        return empty ? '' : word;
      case '?':
        if (empty) throw invalidArgument(`${n}: ${word || 'is not allowed to be unset'}`);
        return v!;
      default:
        throw invalidArgument(`unsupported modifier (${m}) in substitution`);
    }
  }

  private expect(ch: string) {
    if (this.s[this.i] !== ch) throw invalidArgument(`syntax error: missing '${ch}'`);
    this.i++;
  }

  /** A nested word up to `stop` (expanded), consuming the stop character. */
  private sub(stop: string): string {
    const saved = { cur: this.cur, inWord: this.inWord };
    const out = this.process(stop, false);
    this.cur = saved.cur;
    this.inWord = saved.inWord;
    this.i++;
    return out;
  }

  private subUntil(stops: string[]): string {
    let out = '';
    while (this.i < this.s.length && !stops.includes(this.s[this.i]!)) {
      if (this.s[this.i] === '$') out += this.dollar();
      else out += this.s[this.i++];
    }
    if (this.i >= this.s.length) throw invalidArgument(`syntax error: missing '}'`);
    this.i++;
    return out;
  }
}

/** A shell glob (`*`, `?`, `[...]`) as a RegExp source. */
function globSource(p: string): string {
  let r = '';
  for (let k = 0; k < p.length; k++) {
    const c = p[k]!;
    if (c === '*') r += '[\\s\\S]*';
    else if (c === '?') r += '[\\s\\S]';
    else if (c === '[') {
      const end = p.indexOf(']', k + 1);
      if (end < 0) r += '\\[';
      else {
        r += `[${p.slice(k + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        k = end;
      }
    } else r += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return r;
}

function trimPattern(v: string, pat: string, prefix: boolean, longest: boolean): string {
  const src = globSource(pat);
  const re = new RegExp(prefix ? `^${src}` : `${src}$`);
  if (prefix) {
    const lens = [...Array(v.length + 1).keys()];
    for (const n of longest ? lens.reverse() : lens) if (re.test(v.slice(0, n)) && new RegExp(`^${src}$`).test(v.slice(0, n))) return v.slice(n);
    return v;
  }
  const starts = [...Array(v.length + 1).keys()];
  for (const s of longest ? starts : starts.reverse()) if (new RegExp(`^${src}$`).test(v.slice(s))) return v.slice(0, s);
  return v;
}

function replacePattern(v: string, pat: string, rep: string, all: boolean): string {
  if (pat === '') return v;
  const re = new RegExp(globSource(pat), all ? 'g' : '');
  return v.replace(re, () => rep);
}

/** Substitutes variables in a word; quotes are removed. */
export function expand(word: string, env: Lookup, escape = '\\'): Expansion {
  return new Lexer(word, env, escape).run();
}

export const expandWord = (word: string, env: Lookup, escape = '\\'): string => expand(word, env, escape).value;
export const expandWords = (word: string, env: Lookup, escape = '\\'): string[] => expand(word, env, escape).words;

/** Splits on white space outside quotes, keeping the quotes (BuildKit's parseWords, for ENV/LABEL pairs). */
export function splitWords(s: string, escape = '\\'): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  let inWord = false;
  for (let k = 0; k < s.length; k++) {
    const c = s[k]!;
    if (!quote && /\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === escape && k + 1 < s.length) {
      cur += c + s[++k];
      continue;
    }
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    cur += c;
  }
  if (inWord) words.push(cur);
  return words;
}
