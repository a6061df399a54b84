/**
 * Lexer for Go's text/template: text, `{{ }}` actions with `{{-`/`-}}` trim markers and comments.
 * Positions are UTF-16 offsets into the template; error lines are counted from them.
 */

export type TokenKind =
  | 'text' | 'leftDelim' | 'rightDelim' | 'field' | 'variable' | 'identifier' | 'keyword' | 'dot'
  | 'string' | 'char' | 'number' | 'bool' | 'nil' | 'pipe' | 'lparen' | 'rparen' | 'declare'
  | 'assign' | 'comma' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text (for text tokens: after trimming). */
  text: string;
  pos: number;
  /** Whitespace came right before this token (inside an action). */
  spaceBefore: boolean;
  /** field: ".A.B" → ["A","B"]; variable: "$x.A" → ["A"] (the name goes in `name`). */
  path?: string[];
  name?: string;
  value?: string | number | boolean;
}

export const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

export class TemplateSyntaxError extends Error {
  constructor(readonly pos: number, message: string) {
    super(message);
  }
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string) => /[\p{L}\p{Nd}_]/u.test(c);

function trimRight(s: string): string {
  let i = s.length;
  while (i > 0 && isSpace(s[i - 1] as string)) i--;
  return s.slice(0, i);
}
function trimLeft(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i] as string)) i++;
  return s.slice(i);
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** Go's strconv.Unquote for "…" and '…' literals (the quotes included). */
function unquote(lit: string, pos: number): string {
  const body = lit.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i] as string;
    if (e in ESCAPES) out += ESCAPES[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw new TemplateSyntaxError(pos, `invalid syntax: ${lit}`);
      out += e === 'x' ? Buffer.from([parseInt(hex, 16)]).toString('latin1') : String.fromCodePoint(parseInt(hex, 16));
      i += n;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) throw new TemplateSyntaxError(pos, `invalid syntax: ${lit}`);
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else throw new TemplateSyntaxError(pos, `invalid syntax: ${lit}`);
  }
  return out;
}

function parseNumber(lit: string, pos: number): number {
  const neg = lit.startsWith('-');
  const s = lit.replace(/^[+-]/, '').replace(/_/g, '');
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^0[bB][01]+$/.test(s)) n = parseInt(s.slice(2), 2);
  else if (/^0[oO][0-7]+$/.test(s)) n = parseInt(s.slice(2), 8);
  else if (/^0[0-7]+$/.test(s)) n = parseInt(s.slice(1), 8);
  else if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) n = Number(s);
  else throw new TemplateSyntaxError(pos, `bad number syntax: "${lit}"`);
  return neg ? -n : n;
}

/** Splits a template into tokens; throws TemplateSyntaxError with Go's messages. */
export function lex(src: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  let trimNext = false;
  const push = (t: Omit<Token, 'spaceBefore'> & { spaceBefore?: boolean }) => toks.push({ spaceBefore: false, ...t });
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = trimLeft(text);
    trimNext = false;
    if (open < 0) {
      if (text) push({ kind: 'text', text, pos: i });
      break;
    }
    let j = open + 2;
    const trimBefore = src[j] === '-' && isSpace(src[j + 1] ?? '');
    if (trimBefore) {
      text = trimRight(text);
      j += 2;
    }
    if (text) push({ kind: 'text', text, pos: i });
    if (src.startsWith('/*', j)) {
      const end = src.indexOf('*/', j + 2);
      if (end < 0) throw new TemplateSyntaxError(open, 'unclosed comment');
      let after = end + 2;
      if (src.startsWith(' -}}', after)) {
        trimNext = true;
        after += 4;
      } else if (src.startsWith('}}', after)) after += 2;
      else throw new TemplateSyntaxError(open, 'comment ends before closing delimiter');
      i = after;
      continue;
    }
    push({ kind: 'leftDelim', text: '{{', pos: open });
    i = lexAction(src, j, push, () => (trimNext = true));
  }
  push({ kind: 'eof', text: '', pos: src.length });
  return toks;
}

function lexAction(src: string, start: number, push: (t: Omit<Token, 'spaceBefore'> & { spaceBefore?: boolean }) => void, setTrim: () => void): number {
  let i = start;
  let space = false;
  let depth = 0;
  for (;;) {
    if (i >= src.length) throw new TemplateSyntaxError(start, 'unclosed action');
    const c = src[i] as string;
    if (isSpace(c)) {
      if (src.startsWith('-}}', i + 1) && depth === 0) {
        push({ kind: 'rightDelim', text: '}}', pos: i + 1 });
        setTrim();
        return i + 4;
      }
      space = true;
      i++;
      continue;
    }
    if (src.startsWith('}}', i)) {
      if (depth > 0) throw new TemplateSyntaxError(i, 'unclosed left paren');
      push({ kind: 'rightDelim', text: '}}', pos: i });
      return i + 2;
    }
    const tok = (kind: TokenKind, text: string, extra: Partial<Token> = {}) => {
      push({ kind, text, pos: i, spaceBefore: space, ...extra });
      i += text.length;
      space = false;
    };
    let m: RegExpExecArray | null;
    const at = (re: RegExp) => {
      re.lastIndex = i;
      return re.exec(src);
    };
    if (c === '|') tok('pipe', '|');
    else if (c === '(') {
      depth++;
      tok('lparen', '(');
    } else if (c === ')') {
      if (--depth < 0) throw new TemplateSyntaxError(i, 'unexpected right paren');
      tok('rparen', ')');
    } else if (c === ',') tok('comma', ',');
    else if (src.startsWith(':=', i)) tok('declare', ':=');
    else if (c === '=') tok('assign', '=');
    else if (c === '"') {
      m = at(/"(?:[^"\\\n]|\\.)*"/y);
      if (!m) throw new TemplateSyntaxError(i, 'unterminated quoted string');
      tok('string', m[0], { value: unquote(m[0], i) });
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new TemplateSyntaxError(i, 'unterminated raw quoted string');
      const lit = src.slice(i, end + 1);
      tok('string', lit, { value: lit.slice(1, -1) });
    } else if (c === "'") {
      m = at(/'(?:[^'\\\n]|\\.[^']*)'/y);
      if (!m) throw new TemplateSyntaxError(i, 'unterminated character constant');
      const v = unquote(m[0], i);
      tok('char', m[0], { value: v.codePointAt(0) ?? 0 });
    } else if (c === '$') {
      m = at(/\$[\p{L}\p{Nd}_]*((?:\.[\p{L}\p{Nd}_]+)*)/uy) as RegExpExecArray;
      const [name] = m[0].split('.');
      tok('variable', m[0], { name, path: m[1] ? (m[1].slice(1).split('.')) : [] });
    } else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      m = at(/(?:\.[\p{L}\p{Nd}_]+)+/uy);
      if (m) tok('field', m[0], { path: m[0].slice(1).split('.') });
      else tok('dot', '.');
    } else if (/[0-9+\-.]/.test(c)) {
      m = at(/[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/y);
      if (!m || m[0] === '+' || m[0] === '-') throw new TemplateSyntaxError(i, `unexpected "${c}" in operand`);
      if (isAlnum(src[i + m[0].length] ?? '')) throw new TemplateSyntaxError(i, `bad number syntax: "${at(/\S+/y)?.[0]}"`);
      tok('number', m[0], { value: parseNumber(m[0], i) });
    } else if (isAlnum(c)) {
      m = at(/[\p{L}\p{Nd}_]+/uy) as RegExpExecArray;
      const w = m[0];
      if (w === 'true' || w === 'false') tok('bool', w, { value: w === 'true' });
      else if (w === 'nil') tok('nil', w);
      else if (KEYWORDS.has(w)) tok('keyword', w);
      else tok('identifier', w);
    } else {
      throw new TemplateSyntaxError(i, `unexpected ${JSON.stringify(c)} in ${depth > 0 ? 'operand' : 'command'}`);
    }
  }
}
