/**
 * The Dockerfile parser: text to a list of instruction nodes, as BuildKit's frontend parser reads it.
 *
 *   directives   `# syntax=...`, `# escape=\|``, `# check=...` at the very top, before any blank line,
 *                comment or instruction (unknown names are plain comments)
 *   lines        a trailing escape character continues the line; comment lines and blank lines inside a
 *                continuation are dropped; a leading BOM is ignored
 *   heredocs     `<<EOF`, `<<-EOF` (leading tabs stripped), `<<"EOF"` / `<<'EOF'` (no expansion) on RUN,
 *                COPY and ADD: the lines after the instruction up to the delimiter
 *   forms        `[...]` that parses as a JSON array of strings is the exec (JSON) form, anything else the
 *                shell form; leading `--flag[=value]` words are the instruction's flags
 *
 * Errors read as Docker's: `dockerfile parse error on line N: ...`.
 */
import { invalidArgument } from '../../core/errors.js';

export interface Heredoc {
  name: string;
  content: string;
  /** false for a quoted delimiter: the body is taken as it is */
  expand: boolean;
  /** `<<-`: leading tabs were stripped */
  chomp: boolean;
}

export interface Node {
  /** lower case: `run`, `copy`, ... */
  instruction: string;
  /** the instruction word as written */
  keyword: string;
  flags: string[];
  /** everything after the flags, continuation lines joined (without the escape characters) */
  rest: string;
  /** set for the JSON form */
  json?: string[];
  heredocs: Heredoc[];
  /** the instruction as written on one line (flags included), for Step lines and history */
  original: string;
  startLine: number;
  endLine: number;
}

export interface Directives {
  syntax?: string;
  escape: string;
  check?: string;
}

export interface ParsedDockerfile {
  directives: Directives;
  nodes: Node[];
  warnings: string[];
}

export const INSTRUCTIONS = new Set([
  'add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label', 'maintainer',
  'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir',
]);
const HEREDOC_INSTRUCTIONS = new Set(['run', 'copy', 'add']);
const JSON_INSTRUCTIONS = new Set(['run', 'cmd', 'entrypoint', 'shell', 'copy', 'add', 'volume']);

export class ParseError extends Error {
  constructor(readonly line: number, message: string) {
    super(`dockerfile parse error on line ${line}: ${message}`);
  }
}

const parseError = (line: number, msg: string) => invalidArgument(new ParseError(line, msg).message);

/**
 * Errors of the parser proper (directives, the file as a whole, ENV/LABEL pairs), which the classic
 * builder reports as `failed to parse <Dockerfile>: ...` rather than with a line number.
 */
const syntaxErrors = new WeakSet<object>();
export function syntaxError(msg: string): Error {
  const e = invalidArgument(msg);
  syntaxErrors.add(e);
  return e;
}
export const isSyntaxError = (e: unknown): boolean => typeof e === 'object' && e !== null && syntaxErrors.has(e);

/** Reads the directives at the top; returns them and the index of the first line that is not one. */
function readDirectives(lines: string[]): { directives: Directives; next: number } {
  const directives: Directives = { escape: '\\' };
  const seen = new Set<string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/.exec(lines[i]!);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    const value = m[2]!;
    if (!['syntax', 'escape', 'check'].includes(name)) continue; // an unknown directive is a comment, and directives go on
    if (seen.has(name)) throw syntaxError(`only one ${name} parser directive can be used`);
    seen.add(name);
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') throw syntaxError(`invalid escape token '${value}' does not match ${'`'} or \\`);
      directives.escape = value;
    } else if (name === 'syntax') directives.syntax = value;
    else directives.check = value;
  }
  return { directives, next: i };
}

const isComment = (l: string) => /^\s*#/.test(l);
const isBlank = (l: string) => /^\s*$/.test(l);

/** The heredoc markers of an instruction's text: `<<[-]["']NAME["']`. */
export function heredocMarkers(text: string): { name: string; expand: boolean; chomp: boolean }[] {
  const out: { name: string; expand: boolean; chomp: boolean }[] = [];
  const re = /<<(-?)(?:"([^"\s]+)"|'([^'\s]+)'|([A-Za-z_][A-Za-z0-9_]*))/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const quoted = m[2] ?? m[3];
    out.push({ name: (quoted ?? m[4])!, expand: quoted === undefined, chomp: m[1] === '-' });
  }
  return out;
}

/** Splits leading `--flag` words off an instruction's arguments. */
function splitFlags(rest: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let s = rest;
  for (;;) {
    const m = /^--([^\s]*)(?:\s+|$)/.exec(s);
    if (!m || m[1] === '') break;
    // a flag's value may be quoted and hold spaces: --mount="type=bind,source=a b"
    let word = m[0].trimEnd();
    let len = m[0].length;
    const q = /^--[^\s"']*(["'])/.exec(s);
    if (q) {
      const close = s.indexOf(q[1]!, q[0].length);
      if (close > 0) {
        const end = /^[^\s]*/.exec(s.slice(close + 1))![0].length + close + 1;
        word = s.slice(0, end);
        len = end + (/^\s*/.exec(s.slice(end))![0].length);
      }
    }
    flags.push(word);
    s = s.slice(len);
  }
  return { flags, rest: s };
}

/** The JSON form: a JSON array of strings, or undefined. */
export function parseJsonForm(rest: string): string[] | undefined {
  const t = rest.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    return undefined;
  }
  return undefined;
}

export function parseDockerfile(text: string): ParsedDockerfile {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);
  const { directives, next } = readDirectives(lines);
  const esc = directives.escape;
  const nodes: Node[] = [];
  const warnings: string[] = [];
  let i = next;
  const continues = (l: string) => l.replace(/\s+$/, '').endsWith(esc);
  while (i < lines.length) {
    const raw = lines[i]!;
    if (isBlank(raw) || isComment(raw)) { i++; continue; }
    const startLine = i + 1;
    let joined = '';
    let line = raw.replace(/^\s+/, '');
    let emptyContinuation = false;
    for (;;) {
      if (continues(line)) {
        joined += line.replace(/\s+$/, '').slice(0, -1);
        i++;
        // comment lines and blank lines inside a continuation are skipped
        while (i < lines.length && (isComment(lines[i]!) || isBlank(lines[i]!))) {
          if (isBlank(lines[i]!)) emptyContinuation = true;
          i++;
        }
        if (i >= lines.length) break;
        line = lines[i]!;
        continue;
      }
      joined += line;
      i++;
      break;
    }
    if (emptyContinuation) warnings.push(`[WARNING]: Empty continuation line found in:\n    ${joined.trim()}`);
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(joined.trim());
    if (!m) continue;
    const keyword = m[1]!;
    const instruction = keyword.toLowerCase();
    if (!INSTRUCTIONS.has(instruction)) throw parseError(startLine, `unknown instruction: ${keyword}`);
    const body = (m[2] ?? '').trim();
    const { flags, rest } = splitFlags(body);
    const node: Node = { instruction, keyword, flags, rest, heredocs: [], original: joined.trim(), startLine, endLine: i };
    if (JSON_INSTRUCTIONS.has(instruction)) {
      const json = parseJsonForm(rest);
      if (json) node.json = json;
    }
    if (HEREDOC_INSTRUCTIONS.has(instruction) && !node.json) {
      for (const h of heredocMarkers(rest)) {
        const body: string[] = [];
        let closed = false;
        while (i < lines.length) {
          let l = lines[i]!;
          i++;
          if (h.chomp) l = l.replace(/^\t+/, '');
          if (l === h.name) { closed = true; break; }
          body.push(l);
        }
        if (!closed) throw parseError(startLine, `unterminated heredoc ${h.name}`);
        node.heredocs.push({ name: h.name, content: body.length ? `${body.join('\n')}\n` : '', expand: h.expand, chomp: h.chomp });
      }
      node.endLine = i;
    }
    if (instruction === 'onbuild') {
      const inner = /^(\S+)/.exec(rest)?.[1]?.toLowerCase() ?? '';
      if (inner === '') throw parseError(startLine, 'ONBUILD requires at least one argument');
      if (inner === 'onbuild') throw parseError(startLine, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (inner === 'from' || inner === 'maintainer') throw parseError(startLine, `${inner.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      if (!INSTRUCTIONS.has(inner)) throw parseError(startLine, `unknown instruction: ${/^(\S+)/.exec(rest)![1]}`);
    }
    nodes.push(node);
  }
  if (nodes.length === 0) throw syntaxError('file with no instructions');
  if (warnings.length) warnings.push('[WARNING]: Empty continuation lines will become errors in a future release.');
  return { directives, nodes, warnings };
}

/** Parses one instruction written alone (ONBUILD triggers, `--change`-like uses). */
export function parseLine(text: string, line = 1): Node {
  const { nodes } = parseDockerfile(text);
  const n = nodes[0]!;
  return { ...n, startLine: line, endLine: line };
}
