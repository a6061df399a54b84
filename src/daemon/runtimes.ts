/**
 * The OCI runtimes a daemon offers, as dockerd configures them: daemon.json `runtimes`
 * (`{"name": {"path": ..., "runtimeArgs": [...]}}`) and `default-runtime`, the flags `--add-runtime
 * name=path` and `--default-runtime`. `runc` and `crun` are built in (found on PATH) and their names are
 * reserved. Pure: the caller reads files and argv; paths are looked up when the daemon starts.
 */
import { invalidArgument } from '../core/errors.js';

export interface RuntimeConfig {
  /** a binary name (looked up on PATH) or an absolute path */
  path: string;
  runtimeArgs: string[];
}

export interface RuntimesConfig {
  /** every runtime by name, the built-in ones included */
  runtimes: Record<string, RuntimeConfig>;
  /** `default-runtime` when one was given; otherwise the daemon picks (crun where it works, else runc) */
  defaultRuntime?: string;
}

export const BUILTIN_RUNTIMES: Readonly<Record<string, RuntimeConfig>> = {
  runc: { path: 'runc', runtimeArgs: [] },
  crun: { path: 'crun', runtimeArgs: [] },
};

/** `--add-runtime name=path` values, as dockerd's opts.RuntimeOpt parses them. */
export function parseAddRuntime(values: string[]): Record<string, RuntimeConfig> {
  const out: Record<string, RuntimeConfig> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    const name = i > 0 ? v.slice(0, i).trim() : '';
    const p = i > 0 ? v.slice(i + 1).trim() : '';
    if (!name || !p) throw invalidArgument(`invalid runtime argument: ${v}`);
    if (out[name]) throw invalidArgument(`runtime "${name}" already defined`);
    out[name] = { path: p, runtimeArgs: [] };
  }
  return out;
}

/** daemon.json `runtimes`: an object of `{path, runtimeArgs}`. */
export function parseRuntimesKey(v: unknown): Record<string, RuntimeConfig> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument('runtimes must be an object');
  const out: Record<string, RuntimeConfig> = {};
  for (const [name, raw] of Object.entries(v as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidArgument(`runtime ${name}: must be an object`);
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (k === 'runtimeType' || k === 'options') throw invalidArgument(`runtime ${name}: ${k} is not supported (Berth runs runtimes by path under conmon)`);
      if (k !== 'path' && k !== 'runtimeArgs') throw invalidArgument(`runtime ${name}: unknown key ${k}`);
    }
    if (r.path === undefined || r.path === '') throw invalidArgument(`runtime ${name}: either a runtimeType or a path must be configured`);
    if (typeof r.path !== 'string') throw invalidArgument(`runtime ${name}: path must be a string`);
    const args = r.runtimeArgs ?? [];
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) throw invalidArgument(`runtime ${name}: runtimeArgs must be a list of strings`);
    out[name] = { path: r.path, runtimeArgs: args as string[] };
  }
  return out;
}

/**
 * Merges the file's and the flags' runtimes over the built-in ones, with dockerd's errors: a built-in name
 * is reserved, a name given both ways is refused, and the default must name a runtime.
 */
export function resolveRuntimes(o: {
  fileRuntimes?: unknown; flagRuntimes?: string[]; fileDefault?: unknown; flagDefault?: string;
}): RuntimesConfig {
  const fromFile = parseRuntimesKey(o.fileRuntimes);
  const fromFlags = parseAddRuntime(o.flagRuntimes ?? []);
  for (const name of [...Object.keys(fromFile), ...Object.keys(fromFlags)]) {
    if (BUILTIN_RUNTIMES[name]) throw invalidArgument(`runtime name '${name}' is reserved`);
  }
  for (const name of Object.keys(fromFlags)) {
    if (fromFile[name]) throw invalidArgument(`the following directives are specified both as a flag and in the configuration file: runtimes: (from flag: ${name}, from file: ${name})`);
  }
  if (o.fileDefault !== undefined && typeof o.fileDefault !== 'string') throw invalidArgument(`invalid value for default-runtime: ${JSON.stringify(o.fileDefault)}`);
  if (o.flagDefault !== undefined && o.fileDefault !== undefined) {
    throw invalidArgument(`the following directives are specified both as a flag and in the configuration file: default-runtime: (from flag: ${o.flagDefault}, from file: ${String(o.fileDefault)})`);
  }
  const runtimes: Record<string, RuntimeConfig> = { ...BUILTIN_RUNTIMES, ...fromFile, ...fromFlags };
  const dflt = (o.flagDefault ?? o.fileDefault) as string | undefined;
  if (dflt !== undefined && dflt !== '' && !runtimes[dflt]) throw invalidArgument(`specified default runtime '${dflt}' does not exist`);
  return { runtimes, ...(dflt ? { defaultRuntime: dflt } : {}) };
}
