/**
 * Parser for Go's text/template, producing a small AST. Checks what Go's parser checks: known functions,
 * declared variables, balanced {{end}}s, break/continue only inside range.
 */
import { TemplateSyntaxError, lex } from './lex.js';
import type { Token } from './lex.js';

export interface Pos { pos: number; end: number }

export type Arg =
  | (Pos & { kind: 'field'; path: string[] })
  | (Pos & { kind: 'dot' })
  | (Pos & { kind: 'variable'; name: string; path: string[] })
  | (Pos & { kind: 'ident'; name: string })
  | (Pos & { kind: 'string'; value: string })
  | (Pos & { kind: 'number'; value: number; text: string })
  | (Pos & { kind: 'bool'; value: boolean })
  | (Pos & { kind: 'nil' })
  | (Pos & { kind: 'pipe'; pipe: Pipe })
  | (Pos & { kind: 'chain'; node: Arg; path: string[] });

export interface Command extends Pos { args: Arg[] }

export interface Pipe extends Pos {
  decl: string[];
  /** `$x = …` rather than `$x := …` */
  assign: boolean;
  cmds: Command[];
}

export type Node =
  | { kind: 'text'; text: string }
  | (Pos & { kind: 'action'; pipe: Pipe })
  | (Pos & { kind: 'if' | 'with' | 'range'; pipe: Pipe; list: Node[]; elseList: Node[] | null })
  | (Pos & { kind: 'template'; name: string; pipe: Pipe | null })
  | (Pos & { kind: 'break' | 'continue' });

export interface ParsedTemplate {
  source: string;
  root: Node[];
  defines: Map<string, Node[]>;
}

type EndKind = 'end' | 'else' | 'eof';

class Parser {
  private i = 0;
  private vars: string[][] = [['$']];
  private rangeDepth = 0;
  readonly defines = new Map<string, Node[]>();

  constructor(private readonly toks: Token[], private readonly funcs: ReadonlySet<string>) {}

  private peek(): Token {
    return this.toks[this.i] as Token;
  }
  private next(): Token {
    return this.toks[this.i++] as Token;
  }
  private fail(t: Token, msg: string): never {
    throw new TemplateSyntaxError(t.pos, msg);
  }
  private expect(kind: Token['kind'], context: string): Token {
    const t = this.next();
    if (t.kind !== kind) this.fail(t, `unexpected ${describe(t)} in ${context}`);
    return t;
  }

  /** A list of nodes up to {{end}}, {{else…}} or EOF; returns how it ended (the delimiter consumed). */
  parseList(): { nodes: Node[]; end: EndKind; endTok: Token } {
    const nodes: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind === 'eof') return { nodes, end: 'eof', endTok: t };
      if (t.kind === 'text') {
        nodes.push({ kind: 'text', text: t.text });
        continue;
      }
      // leftDelim
      const k = this.peek();
      if (k.kind === 'keyword') {
        this.next();
        switch (k.text) {
          case 'end':
            this.expect('rightDelim', 'end');
            return { nodes, end: 'end', endTok: k };
          case 'else':
            return { nodes, end: 'else', endTok: k };
          case 'if':
          case 'with':
          case 'range':
            nodes.push(this.parseControl(k.text, k));
            continue;
          case 'break':
          case 'continue':
            if (this.rangeDepth === 0) this.fail(k, `{{${k.text}}} outside {{range}}`);
            this.expect('rightDelim', k.text);
            nodes.push({ kind: k.text, pos: k.pos, end: k.pos + k.text.length });
            continue;
          case 'template':
          case 'block':
            nodes.push(this.parseTemplateCall(k));
            continue;
          case 'define':
            this.parseDefine(k);
            continue;
        }
      }
      const pipe = this.parsePipe('command', true);
      nodes.push({ kind: 'action', pos: pipe.pos, end: pipe.end, pipe });
    }
  }

  private parseControl(kind: 'if' | 'with' | 'range', kw: Token): Node {
    this.vars.push([]);
    const pipe = this.parsePipe(kind, kind === 'range' ? 'range' : true);
    if (kind === 'range') this.rangeDepth++;
    const body = this.parseList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | null = null;
    if (body.end === 'eof') this.fail(body.endTok, 'unexpected EOF');
    if (body.end === 'else') {
      const t = this.peek();
      if ((kind === 'if' && t.kind === 'keyword' && t.text === 'if') || (kind === 'with' && t.kind === 'keyword' && t.text === 'with')) {
        // {{else if …}} / {{else with …}}: a nested control that consumes our {{end}}.
        this.next();
        this.vars.pop();
        this.vars.push([]);
        elseList = [this.parseControl(kind, t)];
        this.vars.pop();
        return { kind, pos: kw.pos, end: pipe.end, pipe, list: body.nodes, elseList };
      }
      this.expect('rightDelim', 'else');
      const e = this.parseList();
      if (e.end === 'eof') this.fail(e.endTok, 'unexpected EOF');
      if (e.end === 'else') this.fail(e.endTok, `expected end; found {{else}}`);
      elseList = e.nodes;
    }
    this.vars.pop();
    return { kind, pos: kw.pos, end: pipe.end, pipe, list: body.nodes, elseList };
  }

  private parseTemplateCall(kw: Token): Node {
    const nameTok = this.next();
    if (nameTok.kind !== 'string') this.fail(nameTok, `unexpected ${describe(nameTok)} in ${kw.text} clause`);
    const name = nameTok.value as string;
    let pipe: Pipe | null = null;
    if (this.peek().kind !== 'rightDelim') pipe = this.parsePipe(kw.text, false);
    else this.next();
    if (kw.text === 'block') {
      const saved = this.vars;
      this.vars = [['$']];
      const body = this.parseList();
      this.vars = saved;
      if (body.end !== 'end') this.fail(body.endTok, 'unexpected EOF');
      this.defines.set(name, body.nodes);
    }
    return { kind: 'template', pos: kw.pos, end: nameTok.pos + nameTok.text.length, name, pipe };
  }

  private parseDefine(kw: Token): void {
    const nameTok = this.next();
    if (nameTok.kind !== 'string') this.fail(nameTok, 'unexpected ' + describe(nameTok) + ' in define clause');
    this.expect('rightDelim', 'define clause');
    const saved = this.vars;
    this.vars = [['$']];
    const body = this.parseList();
    this.vars = saved;
    if (body.end !== 'end') this.fail(body.endTok, 'unexpected EOF');
    this.defines.set(nameTok.value as string, body.nodes);
    void kw;
  }

  private declared(name: string): boolean {
    return this.vars.some((scope) => scope.includes(name));
  }

  /** A pipeline up to "}}" (or ")" when inside parens); `decls` says whether declarations are allowed. */
  parsePipe(context: string, decls: boolean | 'range', inParens = false): Pipe {
    const start = this.peek();
    const pipe: Pipe = { pos: start.pos, end: start.pos, decl: [], assign: false, cmds: [] };
    // Declarations: $x := / $x = / $k, $v :=
    if (decls && start.kind === 'variable' && start.path?.length === 0) {
      const save = this.i;
      const names: string[] = [this.next().name as string];
      if (decls === 'range' && this.peek().kind === 'comma') {
        this.next();
        const v = this.next();
        if (v.kind !== 'variable') this.fail(v, `unexpected ${describe(v)} in range`);
        names.push(v.name as string);
      }
      const op = this.peek();
      if (op.kind === 'declare' || (op.kind === 'assign' && names.length === 1)) {
        this.next();
        pipe.assign = op.kind === 'assign';
        pipe.decl = names;
        if (pipe.assign) {
          if (!this.declared(names[0] as string)) this.fail(start, `undefined variable "${names[0]}"`);
        } else (this.vars.at(-1) as string[]).push(...names);
      } else if (names.length > 1) {
        this.fail(op, `unexpected ${describe(op)} in ${context}`);
      } else {
        this.i = save;
      }
    }
    for (;;) {
      const t = this.peek();
      if (t.kind === (inParens ? 'rparen' : 'rightDelim')) {
        this.next();
        pipe.end = t.pos;
        break;
      }
      if (t.kind === 'rightDelim' || t.kind === 'rparen' || t.kind === 'eof') this.fail(t, `unexpected ${describe(t)} in ${inParens ? 'operand' : context}`);
      if (pipe.cmds.length > 0) {
        if (t.kind !== 'pipe') this.fail(t, `unexpected ${describe(t)} in ${context}`);
        this.next();
      }
      pipe.cmds.push(this.parseCommand(context, inParens));
    }
    if (pipe.cmds.length === 0) this.fail(start, `missing value for ${context}`);
    return pipe;
  }

  private parseCommand(context: string, inParens: boolean): Command {
    const args: Arg[] = [];
    const first = this.peek();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'pipe' || t.kind === 'rightDelim' || (inParens && t.kind === 'rparen')) break;
      if (args.length > 0 && !t.spaceBefore && t.kind !== 'field') this.fail(t, `unexpected ${describe(t)} in operand`);
      args.push(this.parseOperand());
    }
    if (args.length === 0) this.fail(first, `missing value for ${context}`);
    const last = args.at(-1) as Arg;
    return { pos: first.pos, end: last.end, args };
  }

  private parseOperand(): Arg {
    const t = this.next();
    const end = t.pos + t.text.length;
    let node: Arg;
    switch (t.kind) {
      case 'field':
        node = { kind: 'field', pos: t.pos, end, path: t.path ?? [] };
        break;
      case 'dot':
        node = { kind: 'dot', pos: t.pos, end };
        break;
      case 'variable':
        if (!this.declared(t.name as string)) this.fail(t, `undefined variable "${t.name}"`);
        node = { kind: 'variable', pos: t.pos, end, name: t.name as string, path: t.path ?? [] };
        break;
      case 'identifier':
        if (!this.funcs.has(t.text)) this.fail(t, `function "${t.text}" not defined`);
        node = { kind: 'ident', pos: t.pos, end, name: t.text };
        break;
      case 'string':
        node = { kind: 'string', pos: t.pos, end, value: t.value as string };
        break;
      case 'char':
      case 'number':
        node = { kind: 'number', pos: t.pos, end, value: t.value as number, text: t.text };
        break;
      case 'bool':
        node = { kind: 'bool', pos: t.pos, end, value: t.value as boolean };
        break;
      case 'nil':
        node = { kind: 'nil', pos: t.pos, end };
        break;
      case 'lparen': {
        const pipe = this.parsePipe('parenthesized pipeline', true, true);
        node = { kind: 'pipe', pos: t.pos, end: pipe.end + 1, pipe };
        break;
      }
      default:
        this.fail(t, `unexpected ${describe(t)} in operand`);
    }
    // A field right after an operand (no space) continues it: (x).A, $x.A is lexed whole.
    const n = this.peek();
    if (n.kind === 'field' && !n.spaceBefore) {
      if (node.kind === 'field' || node.kind === 'variable' || node.kind === 'dot') this.fail(n, `unexpected ${describe(n)} in operand`);
      if (node.kind !== 'pipe' && node.kind !== 'ident') this.fail(n, `unexpected . after term ${JSON.stringify(this.toks[this.i - 1]?.text)}`);
      this.next();
      node = { kind: 'chain', pos: node.pos, end: n.pos + n.text.length, node, path: n.path ?? [] };
    }
    return node;
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'EOF';
    case 'rightDelim': return '<}}>';
    case 'keyword': return `<${t.text}>`;
    case 'string': return `quoted string`;
    default: return `<${t.text}>`;
  }
}

/** Parses a template; throws TemplateSyntaxError (position + Go's message). */
export function parse(source: string, funcs: ReadonlySet<string>): ParsedTemplate {
  const p = new Parser(lex(source), funcs);
  const { nodes, end, endTok } = p.parseList();
  if (end === 'end') throw new TemplateSyntaxError(endTok.pos, 'unexpected {{end}}');
  if (end === 'else') throw new TemplateSyntaxError(endTok.pos, 'unexpected {{else}}');
  return { source, root: nodes, defines: p.defines };
}

