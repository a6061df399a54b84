/**
 * Parsed nodes to typed instructions and stages, checked before anything runs (Docker reports these as
 * `dockerfile parse error on line N: ...` too). Values stay as written: variables are substituted when the
 * step runs, with the stage's environment and build args at that point.
 */
import { invalidArgument } from '../../core/errors.js';
import { parseDockerfile, parseLine, syntaxError, type Heredoc, type Node, type ParsedDockerfile } from './parser.js';
import { parseDuration } from '../../core/duration.js';
import { splitWords } from './shell.js';

export type Form = { json: string[] } | { shell: string };

export interface MountSpec {
  type: 'bind' | 'cache' | 'tmpfs';
  target: string;
  source?: string;
  from?: string;
  readonly: boolean;
  id?: string;
  sharing?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
}

export type Instruction =
  | { kind: 'from'; image: string; alias?: string; platform?: string }
  | { kind: 'run'; form: Form; heredocs: Heredoc[]; network?: string; mounts: MountSpec[] }
  | { kind: 'cmd' | 'entrypoint'; form: Form }
  | { kind: 'shell'; args: string[] }
  | { kind: 'env' | 'label'; pairs: { key: string; value: string }[] }
  | { kind: 'arg'; args: { name: string; value?: string }[] }
  | { kind: 'expose' | 'volume'; values: string[] }
  | { kind: 'user' | 'workdir' | 'stopsignal' | 'maintainer'; value: string }
  | { kind: 'healthcheck'; none: true } | { kind: 'healthcheck'; none: false; form: Form; interval?: string; timeout?: string; startPeriod?: string; startInterval?: string; retries?: string }
  | { kind: 'onbuild'; expression: string }
  | {
    kind: 'copy' | 'add'; sources: string[]; dest: string; heredocs: Heredoc[]; from?: string; chown?: string; chmod?: string;
    link: boolean; parents: boolean; exclude: string[]; checksum?: string; keepGitDir: boolean;
  };

export interface Step {
  node: Node;
  ins: Instruction;
}

export interface Stage {
  index: number;
  /** the AS name, lower case */
  name?: string;
  from: Extract<Instruction, { kind: 'from' }>;
  fromNode: Node;
  steps: Step[];
}

export interface Dockerfile {
  parsed: ParsedDockerfile;
  /** ARGs before the first FROM */
  metaArgs: { name: string; value?: string }[];
  stages: Stage[];
  escape: string;
}

const fail = (n: Node, msg: string) => invalidArgument(`dockerfile parse error on line ${n.startLine}: ${msg}`);

/** `--name=value` and `--name` flags against the names an instruction allows. */
function readFlags(n: Node, allowed: Record<string, 'string' | 'bool' | 'list'>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of n.flags) {
    const m = /^--([^=]+)(?:=([\s\S]*))?$/.exec(f)!;
    const name = m[1]!;
    let value = m[2];
    const kind = allowed[name];
    if (!kind) throw fail(n, `unknown flag: ${name}`);
    if (kind === 'bool') {
      if (value !== undefined && !['true', 'false'].includes(value.toLowerCase())) throw fail(n, `expecting boolean value for flag ${name}, not: ${value}`);
      value = value === undefined ? 'true' : value.toLowerCase();
    } else if (value === undefined) throw fail(n, `missing a value on flag: ${name}`);
    else if (/^".*"$|^'.*'$/.test(value)) value = value.slice(1, -1);
    if (kind !== 'list' && out.has(name)) throw fail(n, `duplicate flag specified: ${name}`);
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}

const one = (f: Map<string, string[]>, k: string) => f.get(k)?.[0];

function form(n: Node): Form {
  return n.json ? { json: n.json } : { shell: n.rest };
}

/** `k=v k2="v 2"` pairs (and ENV's legacy `k v`), values as written (quotes kept for the substitution). */
function pairs(n: Node, what: 'ENV' | 'LABEL', esc: string): { key: string; value: string }[] {
  const words = splitWords(n.rest, esc);
  if (words.length === 0) throw fail(n, `${what} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    // the legacy `KEY name value` form (LABEL has it too)
    const m = /^(\S+)\s+([\s\S]*)$/.exec(n.rest.trim());
    if (!m) throw syntaxError(`${what} must have two arguments`);
    return [{ key: m[1]!, value: m[2]!.trim() }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) throw syntaxError(`Syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`);
    const key = w.slice(0, eq);
    if (key === '') throw fail(n, `${what} names can not be blank`);
    return { key, value: w.slice(eq + 1) };
  });
}

export function parseMount(n: Node, spec: string): MountSpec {
  const kv = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const k = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    kv.set(k, eq < 0 ? 'true' : part.slice(eq + 1));
  }
  const type = (kv.get('type') ?? 'bind').toLowerCase();
  if (type === 'secret' || type === 'ssh') throw fail(n, `--mount=type=${type} is not supported by Berth's builder: it has no session to take secrets or SSH agents from`);
  if (!['bind', 'cache', 'tmpfs'].includes(type)) throw fail(n, `unsupported mount type "${type}"`);
  const target = kv.get('target') ?? kv.get('dst') ?? kv.get('destination');
  if (!target) throw fail(n, 'mount target must be specified');
  const num = (k: string, base = 10) => (kv.has(k) ? parseInt(kv.get(k)!, base) : undefined);
  const ro = kv.get('readonly') ?? kv.get('ro');
  const rw = kv.get('readwrite') ?? kv.get('rw');
  return {
    type: type as MountSpec['type'], target, source: kv.get('source') ?? kv.get('src'), from: kv.get('from'),
    readonly: type === 'bind' ? rw !== 'true' : ro === 'true', id: kv.get('id'), sharing: kv.get('sharing'),
    mode: num('mode', 8), uid: num('uid'), gid: num('gid'), size: num('size'),
  };
}

export function toInstruction(n: Node, esc: string): Instruction {
  const words = () => (n.json ?? n.rest.split(/\s+/).filter(Boolean));
  switch (n.instruction) {
    case 'from': {
      const f = readFlags(n, { platform: 'string' });
      const w = n.rest.split(/\s+/).filter(Boolean);
      if (w.length !== 1 && !(w.length === 3 && w[1]!.toLowerCase() === 'as')) throw fail(n, 'FROM requires either one or three arguments');
      if (w.length === 3 && !/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(w[2]!)) throw fail(n, `invalid name for build stage: "${w[2]}", name can't start with a number or contain symbols`);
      return { kind: 'from', image: w[0]!, alias: w[2]?.toLowerCase(), platform: one(f, 'platform') };
    }
    case 'run': {
      const f = readFlags(n, { mount: 'list', network: 'string', security: 'string' });
      if (!n.json && n.rest.trim() === '') throw fail(n, 'RUN requires at least one argument');
      const network = one(f, 'network');
      if (network && !['default', 'none', 'host'].includes(network)) throw fail(n, `unsupported network mode "${network}"`);
      return { kind: 'run', form: form(n), heredocs: n.heredocs, network, mounts: (f.get('mount') ?? []).map((m) => parseMount(n, m)) };
    }
    case 'cmd':
    case 'entrypoint':
      readFlags(n, {});
      return { kind: n.instruction, form: form(n) };
    case 'shell':
      readFlags(n, {});
      if (!n.json) throw fail(n, 'SHELL requires the arguments to be in JSON form');
      if (n.json.length === 0) throw fail(n, 'SHELL requires at least one argument');
      return { kind: 'shell', args: n.json };
    case 'env':
    case 'label':
      readFlags(n, {});
      return { kind: n.instruction, pairs: pairs(n, n.instruction === 'env' ? 'ENV' : 'LABEL', esc) };
    case 'arg': {
      readFlags(n, {});
      const w = splitWords(n.rest, esc);
      if (w.length === 0) throw fail(n, 'ARG requires at least one argument');
      return {
        kind: 'arg', args: w.map((s) => {
          const eq = s.indexOf('=');
          const name = eq < 0 ? s : s.slice(0, eq);
          if (!name) throw fail(n, 'ARG names can not be blank');
          return eq < 0 ? { name } : { name, value: s.slice(eq + 1) };
        }),
      };
    }
    case 'expose':
    case 'volume': {
      readFlags(n, {});
      const values = n.instruction === 'volume' && n.json ? n.json : splitWords(n.rest, esc);
      if (values.length === 0) throw fail(n, `${n.instruction.toUpperCase()} requires at least one argument`);
      if (n.instruction === 'volume' && values.some((v) => v.trim() === '')) throw fail(n, 'VOLUME specified can not be an empty string');
      return { kind: n.instruction, values };
    }
    case 'user':
    case 'workdir':
    case 'stopsignal':
    case 'maintainer': {
      readFlags(n, {});
      const v = n.rest.trim();
      if (!v) throw fail(n, `${n.instruction.toUpperCase()} requires exactly one argument`);
      return { kind: n.instruction, value: v };
    }
    case 'healthcheck': {
      const f = readFlags(n, { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' });
      const m = /^(\S+)\s*([\s\S]*)$/.exec(n.rest.trim());
      const typ = m?.[1]?.toUpperCase();
      if (typ === 'NONE') {
        if (m![2] || n.flags.length) throw fail(n, 'HEALTHCHECK NONE takes no arguments');
        return { kind: 'healthcheck', none: true };
      }
      if (typ !== 'CMD') throw fail(n, `Unknown type "${typ ?? ''}" in HEALTHCHECK (try CMD)`);
      const rest = m![2]!;
      const json = rest.trim().startsWith('[') ? (() => { try { return JSON.parse(rest) as string[]; } catch { return undefined; } })() : undefined;
      if (!json && !rest.trim()) throw fail(n, 'Missing command after HEALTHCHECK CMD');
      // the durations are checked with the Dockerfile, before any step runs
      for (const [flag, v] of [['interval', one(f, 'interval')], ['timeout', one(f, 'timeout')], ['start-period', one(f, 'start-period')], ['start-interval', one(f, 'start-interval')]] as const) {
        if (v === undefined || v === '') continue;
        let ns: number;
        try {
          ns = parseDuration(v);
        } catch (e) {
          throw fail(n, (e as Error).message);
        }
        if (ns < 0) throw fail(n, `Interval ${JSON.stringify(flag)} cannot be negative`);
        if (ns !== 0 && ns < 1e6) throw fail(n, `Interval ${JSON.stringify(flag)} cannot be less than 1ms`);
      }
      const retries = one(f, 'retries');
      if (retries !== undefined && !/^-?\d+$/.test(retries)) throw fail(n, `strconv.ParseInt: parsing ${JSON.stringify(retries)}: invalid syntax`);
      if (retries !== undefined && Number(retries) < 0) throw fail(n, '--retries cannot be negative');
      return {
        kind: 'healthcheck', none: false, form: json ? { json } : { shell: rest },
        interval: one(f, 'interval'), timeout: one(f, 'timeout'), startPeriod: one(f, 'start-period'), startInterval: one(f, 'start-interval'), retries: one(f, 'retries'),
      };
    }
    case 'onbuild':
      return { kind: 'onbuild', expression: n.rest.trim() };
    case 'copy':
    case 'add': {
      const allowed: Record<string, 'string' | 'bool' | 'list'> = { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'list' };
      if (n.instruction === 'add') Object.assign(allowed, { checksum: 'string', 'keep-git-dir': 'bool' });
      const f = readFlags(n, allowed);
      if (n.instruction === 'add' && f.has('from')) throw fail(n, 'unknown flag: from');
      const args = n.json ?? n.rest.split(/\s+/).filter(Boolean);
      const heredocNames = new Set(n.heredocs.map((h) => h.name));
      const sources = args.slice(0, -1).filter((s) => !/^<<-?["']?/.test(s) || !heredocNames.has(s.replace(/^<<-?["']?|["']$/g, '')));
      if (args.length < 2) throw fail(n, `${n.instruction.toUpperCase()} requires at least two arguments, but only one was provided. Destination could not be determined`);
      return {
        kind: n.instruction, sources, dest: args[args.length - 1]!, heredocs: n.heredocs, from: one(f, 'from'), chown: one(f, 'chown'), chmod: one(f, 'chmod'),
        link: one(f, 'link') === 'true', parents: one(f, 'parents') === 'true', exclude: f.get('exclude') ?? [], checksum: one(f, 'checksum'),
        keepGitDir: one(f, 'keep-git-dir') === 'true',
      };
    }
    default:
      throw fail(n, `unknown instruction: ${n.keyword}`);
  }
}

/** Parses the text of a Dockerfile into stages. */
export function loadDockerfile(text: string): Dockerfile {
  const parsed = parseDockerfile(text);
  const esc = parsed.directives.escape;
  if (parsed.directives.syntax && !/^(docker\/)?dockerfile(:[0-9.]+(-labs)?|:labs)?$|^docker\.io\/docker\/dockerfile(:[\w.-]+)?$/.test(parsed.directives.syntax)) {
    throw invalidArgument(`syntax directive ${JSON.stringify(parsed.directives.syntax)}: external frontend images are not supported by Berth's builder`);
  }
  const metaArgs: { name: string; value?: string }[] = [];
  const stages: Stage[] = [];
  for (const node of parsed.nodes) {
    const ins = toInstruction(node, esc);
    if (ins.kind === 'from') {
      stages.push({ index: stages.length, name: ins.alias, from: ins, fromNode: node, steps: [] });
      continue;
    }
    const cur = stages[stages.length - 1];
    if (!cur) {
      if (ins.kind !== 'arg') throw invalidArgument('no build stage in current context');
      metaArgs.push(...ins.args);
      continue;
    }
    if (ins.kind === 'onbuild') toInstruction(parseLine(ins.expression, node.startLine), esc); // checked now
    cur.steps.push({ node, ins });
  }
  if (stages.length === 0) throw invalidArgument('no build stage in current context');
  const names = new Set<string>();
  for (const s of stages) {
    if (!s.name) continue;
    if (names.has(s.name)) throw invalidArgument(`dockerfile parse error on line ${s.fromNode.startLine}: duplicate name ${s.name}`);
    names.add(s.name);
  }
  return { parsed, metaArgs, stages, escape: esc };
}
