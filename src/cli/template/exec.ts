/**
 * Executes a parsed template against JSON-shaped data with Go's text/template semantics: missing map
 * keys are `<no value>`, field access through null is an error, if/with/range truth as Go's.
 */
import { invalidArgument } from '../../core/errors.js';
import { ArgError, FUNCS, FuncError, truth } from './funcs.js';
import { MISSING, goType, isObject, printValue } from './format.js';
import type { Arg, Command, Node, ParsedTemplate, Pipe, Pos } from './parse.js';

const MAX_DEPTH = 1000;

class Break {}
class Continue {}

/** "template: NAME:LINE:COL: executing "NAME" at <CONTEXT>: MESSAGE", as Go words it. */
export class TemplateExecError extends Error {}

interface Var { name: string; value: unknown }

/** Go unwraps interface values at the end of each command: a nil interface becomes "no value". */
const unwrap = (v: unknown) => (v === null || v === undefined ? MISSING : v);

export class Executor {
  private vars: Var[] = [];
  private out: string[] = [];
  private depth = 0;
  private name = '';

  constructor(private readonly tmpl: ParsedTemplate) {}

  run(data: unknown): string {
    this.vars = [{ name: '$', value: data }];
    this.out = [];
    this.walkList(data, this.tmpl.root);
    return this.out.join('');
  }

  private fail(node: Pos, msg: string): never {
    const src = this.tmpl.source;
    const before = src.slice(0, node.pos);
    const nl = before.lastIndexOf('\n');
    const line = before.split('\n').length;
    const col = nl < 0 ? node.pos : node.pos - nl - 1;
    let context = src.slice(node.pos, node.end).trim();
    if (context.length > 20) context = context.slice(0, 20) + '...';
    throw new TemplateExecError(`template: :${line}:${col}: executing ${JSON.stringify(this.name)} at <${context}>: ${msg}`);
  }

  private walkList(dot: unknown, list: Node[]): void {
    for (const n of list) this.walk(dot, n);
  }

  private walk(dot: unknown, n: Node): void {
    switch (n.kind) {
      case 'text':
        this.out.push(n.text);
        return;
      case 'action': {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.out.push(printValue(v));
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, n.pipe);
        if (truth(v)) this.walkList(n.kind === 'with' ? v : dot, n.list);
        else if (n.elseList) this.walkList(dot, n.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        return this.walkRange(dot, n);
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
      case 'template': {
        const body = this.tmpl.defines.get(n.name);
        if (!body) this.fail(n, `template ${JSON.stringify(n.name)} not defined`);
        if (++this.depth > MAX_DEPTH) this.fail(n, `exceeded maximum template depth (${MAX_DEPTH})`);
        const newDot = n.pipe ? this.evalPipeline(dot, n.pipe) : null;
        const saved = { vars: this.vars, name: this.name };
        this.vars = [{ name: '$', value: newDot }];
        this.name = n.name;
        try {
          this.walkList(newDot, body);
        } finally {
          this.vars = saved.vars;
          this.name = saved.name;
          this.depth--;
        }
      }
    }
  }

  private walkRange(dot: unknown, n: Pos & { pipe: Pipe; list: Node[]; elseList: Node[] | null }): void {
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, n.pipe);
    const decl = n.pipe.decl;
    const one = (index: unknown, elem: unknown): boolean => {
      const inner = this.vars.length;
      if (decl.length > 0) {
        if (n.pipe.assign) this.setVar(n.pipe, decl[0] as string, decl.length > 1 ? index : elem);
        else {
          // The declared variables are the topmost ones: ($elem) or ($index, $elem).
          (this.vars[this.vars.length - 1] as Var).value = elem;
          if (decl.length > 1) (this.vars[this.vars.length - 2] as Var).value = index;
        }
      }
      try {
        this.walkList(elem, n.list);
      } catch (e) {
        if (e instanceof Break) return false;
        if (!(e instanceof Continue)) throw e;
      } finally {
        this.vars.length = inner;
      }
      return true;
    };
    let ran = false;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        ran = true;
        if (!one(i, v[i])) break;
      }
    } else if (isObject(v)) {
      for (const k of Object.keys(v).sort()) {
        ran = true;
        if (!one(k, v[k])) break;
      }
    } else if (typeof v === 'number' && Number.isInteger(v)) {
      if (decl.length > 1) this.fail(n.pipe, `can't use ${v} to iterate over more than one variable`);
      for (let i = 0; i < v; i++) {
        ran = true;
        if (!one(i, i)) break;
      }
    } else if (v !== MISSING && v !== null) {
      this.fail(n.pipe, `range can't iterate over ${printValue(v)}`);
    }
    if (!ran && n.elseList) this.walkList(dot, n.elseList);
    this.vars.length = mark;
  }

  private setVar(node: Pos, name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Var;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.fail(node, `undefined variable: ${name}`);
  }

  private evalPipeline(dot: unknown, pipe: Pipe): unknown {
    let value: unknown = MISSING;
    let first = true;
    for (const cmd of pipe.cmds) {
      value = unwrap(this.evalCommand(dot, cmd, first ? NO_FINAL : value));
      first = false;
    }
    if (pipe.assign) this.setVar(pipe, pipe.decl[0] as string, value);
    else for (const name of pipe.decl) this.vars.push({ name, value });
    return value;
  }

  private evalCommand(dot: unknown, cmd: Command, final: unknown): unknown {
    const first = cmd.args[0] as Arg;
    switch (first.kind) {
      case 'field':
        return this.evalFields(first, dot, first.path, cmd.args.length > 1 || final !== NO_FINAL);
      case 'chain': {
        this.notAFunction(cmd, final);
        const base = this.evalArg(dot, first.node);
        return this.evalFields(first, base, first.path, false);
      }
      case 'variable': {
        if (first.path.length === 0) this.notAFunction(cmd, final);
        return this.evalFields(first, this.lookup(first.name), first.path, cmd.args.length > 1 || final !== NO_FINAL);
      }
      case 'ident':
        return this.call(dot, first, cmd.args.slice(1), final);
      case 'nil':
        return this.fail(first, 'nil is not a command');
      default:
        this.notAFunction(cmd, final);
        return this.evalArg(dot, first);
    }
  }

  private notAFunction(cmd: Command, final: unknown): void {
    if (cmd.args.length > 1 || final !== NO_FINAL) {
      const a = cmd.args[0] as Arg;
      this.fail(a, `can't give argument to non-function ${this.tmpl.source.slice(a.pos, a.end)}`);
    }
  }

  private lookup(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if ((this.vars[i] as Var).name === name) return (this.vars[i] as Var).value;
    return MISSING;
  }

  private evalFields(node: Pos, receiver: unknown, path: string[], hasArgs: boolean): unknown {
    let v = receiver;
    for (let i = 0; i < path.length; i++) {
      const name = path[i] as string;
      if (v === MISSING || v === undefined) return MISSING;
      if (v === null) this.fail(node, `nil pointer evaluating interface {}.${name}`);
      if (isObject(v)) {
        if (hasArgs && i === path.length - 1) this.fail(node, `${name} is not a method but has arguments`);
        v = Object.hasOwn(v, name) ? v[name] : MISSING;
        continue;
      }
      this.fail(node, `can't evaluate field ${name} in type ${goType(v)}`);
    }
    return v;
  }

  private evalArg(dot: unknown, a: Arg): unknown {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'field':
        return this.evalFields(a, dot, a.path, false);
      case 'variable':
        return this.evalFields(a, this.lookup(a.name), a.path, false);
      case 'chain':
        return this.evalFields(a, this.evalArg(dot, a.node), a.path, false);
      case 'pipe':
        return this.evalPipelineScoped(dot, a.pipe);
      case 'ident':
        return this.call(dot, a, [], NO_FINAL);
      case 'string':
      case 'number':
      case 'bool':
        return a.value;
      case 'nil':
        return null;
    }
  }

  private evalPipelineScoped(dot: unknown, pipe: Pipe): unknown {
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, pipe);
    this.vars.length = mark;
    return v;
  }

  private call(dot: unknown, ident: Extract<Arg, { kind: 'ident' }>, argNodes: Arg[], final: unknown): unknown {
    const def = FUNCS[ident.name];
    if (!def) return this.fail(ident, `function ${JSON.stringify(ident.name)} not defined`);
    const n = argNodes.length + (final !== NO_FINAL ? 1 : 0);
    if (n < def.min || (def.max >= 0 && n > def.max)) {
      const want = def.max < 0 ? `at least ${def.min}` : String(def.min);
      this.fail(ident, `wrong number of args for ${ident.name}: want ${want} got ${n}`);
    }
    // and/or stop evaluating at the first argument that decides.
    if (ident.name === 'and' || ident.name === 'or') {
      let v: unknown = MISSING;
      const all = final !== NO_FINAL ? [...argNodes.map((a) => () => this.evalArg(dot, a)), () => final] : argNodes.map((a) => () => this.evalArg(dot, a));
      for (const get of all) {
        v = get();
        if (truth(v) === (ident.name === 'or')) return v;
      }
      return v;
    }
    // Go hands a missing value to a function as nil.
    const args: unknown[] = argNodes.map((a) => this.evalArg(dot, a)).map((v) => (v === MISSING ? null : v));
    if (final !== NO_FINAL) args.push(final === MISSING ? null : final);
    try {
      return def.fn(args);
    } catch (e) {
      if (e instanceof ArgError) this.fail(ident, e.message);
      if (e instanceof FuncError) this.fail(ident, `error calling ${ident.name}: ${e.message}`);
      throw e;
    }
  }
}

const NO_FINAL: unique symbol = Symbol('no final');

export function execute(tmpl: ParsedTemplate, data: unknown): string {
  try {
    return new Executor(tmpl).run(data);
  } catch (e) {
    if (e instanceof TemplateExecError) throw invalidArgument(e.message, e);
    throw e;
  }
}
