/**
 * Loads a project: files (lookup, `-f`, COMPOSE_FILE), environment (`.env`, `--env-file`, the process),
 * per-file interpolation and schema validation, `extends`, `include`, merging, the project name,
 * profiles, normalization and reference checks. Every error names file, path and line; nothing here
 * talks to a daemon.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ComposeError, type ModelPath } from './errors.js';
import { lookupFiles, projectName, readEnvFiles } from './files.js';
import { interpolateTree, InterpolationError } from './interpolate.js';
import { mergeFiles, mergeService } from './merge.js';
import type { Project, ServiceConfig } from './model.js';
import { normalizeNetwork, normalizeSecret, normalizeService, normalizeVolume, NormalizeError } from './normalize.js';
import { resolvePaths } from './paths.js';
import { parseSource, type SourceFile } from './source.js';
import { loadValidator, validateModel, validationCache, ValidatorNotLoaded } from './validate.js';
import { checkReferences } from './references.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface LoadOptions {
  /** `-f` files, in order (`-` reads stdin) */
  files?: string[];
  projectDirectory?: string;
  /** `-p` */
  projectName?: string;
  /** `--env-file`, in order */
  envFiles?: string[];
  /** `--profile` */
  profiles?: string[];
  /** services named on the command line (their profiles are enabled) */
  services?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** false: `${VAR}` stays as written (config --no-interpolate) */
  interpolate?: boolean;
}

/** One loaded file: where it came from, and its value once interpolated, validated and made absolute. */
interface Loaded {
  src: SourceFile;
  data: Obj;
}

/** Where marks of files found valid go, for the load under way (see validate.ts); whether it interpolates. */
let cacheDir: string | undefined;
let interpolating = true;

/** Reads, parses, interpolates, validates and resolves one file. */
function loadFile(file: string, base: string, env: Record<string, string>, display: string = file): Loaded {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (err) {
    throw new ComposeError(`open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  const src = parseSource(display, text);
  let data: Obj;
  try {
    data = interpolating ? (interpolateTree(src.data, (n) => env[n]) as Obj) : src.data;
  } catch (err) {
    if (err instanceof InterpolationError) throw new ComposeError(err.message, { file: display, path: err.path, line: src.lineOf(err.path) });
    throw err;
  }
  validateModel(data, src, cacheDir);
  return { src, data: resolvePaths(data, base) };
}

/** Resolves `extends` in every service of a loaded file (other files are loaded as needed). */
function resolveExtends(l: Loaded, env: Record<string, string>, cache: Map<string, Loaded>): Obj {
  const services = isObj(l.data.services) ? l.data.services : {};
  const done = new Map<string, Obj>();
  const resolve = (file: Loaded, name: string, stack: string[]): Obj => {
    const key = `${file.src.file}#${name}`;
    if (file === l && done.has(name)) return done.get(name)!;
    const all = isObj(file.data.services) ? file.data.services : {};
    const svc = all[name];
    if (!isObj(svc)) throw new ComposeError(`cannot extend service "${name}": no such service in ${file.src.file}`, { file: l.src.file });
    if (stack.includes(key)) throw new ComposeError(`circular reference with extends: ${[...stack, key].join(' -> ')}`, { file: file.src.file, path: ['services', name, 'extends'], line: file.src.lineOf(['services', name, 'extends']) });
    let out = svc;
    const ext = svc.extends;
    if (ext !== undefined) {
      const spec = typeof ext === 'string' ? { service: ext } : (ext as Obj);
      let from = file;
      if (typeof spec.file === 'string') {
        const f = spec.file;
        if (!cache.has(f)) cache.set(f, loadFile(f, path.dirname(f), env));
        from = cache.get(f)!;
      }
      const base = resolve(from, String(spec.service), [...stack, key]);
      const { extends: _e, ...own } = svc;
      out = mergeService(base, own);
    }
    if (file === l) done.set(name, out);
    return out;
  };
  const out: Obj = {};
  for (const name of Object.keys(services)) out[name] = resolve(l, name, []);
  return { ...l.data, services: out };
}

/** A line finder for a model path: the last file that defines the path's top-level entry. */
type Locator = (p: ModelPath) => { file?: string; line?: number };

function locator(sources: Loaded[]): Locator {
  return (p) => {
    for (let i = sources.length - 1; i >= 0; i--) {
      const s = sources[i]!;
      let v: unknown = s.src.data;
      let found = true;
      for (const k of p.slice(0, 2)) {
        if (!isObj(v) || !(String(k) in v)) {
          found = false;
          break;
        }
        v = v[String(k)];
      }
      if (found) return { file: s.src.file, line: s.src.lineOf(p) };
    }
    return { file: sources[0]?.src.file };
  };
}

/** Loads files into one merged value, with their includes. */
function loadModel(files: string[], workingDir: string, env: Record<string, string>, sources: Loaded[], depth = 0): Obj {
  if (depth > 10) throw new ComposeError('include nests too deeply');
  const cache = new Map<string, Loaded>();
  let merged: Obj = {};
  for (const f of files) {
    const display = f === '-' ? '-' : path.relative(process.cwd(), f) || f;
    const l = loadFile(f, workingDir, env, display.startsWith('..') ? f : display);
    sources.push(l);
    let data = resolveExtends(l, env, cache);
    if (Array.isArray(data.include)) {
      data.include.forEach((inc, i) => {
        const spec = typeof inc === 'string' ? { path: [inc] } : (inc as Obj);
        const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) => path.resolve(workingDir, String(p)));
        const dir = typeof spec.project_directory === 'string' ? path.resolve(workingDir, spec.project_directory) : path.dirname(paths[0]!);
        const envFiles = spec.env_file === undefined ? [path.join(dir, '.env')] : (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((e) => path.resolve(workingDir, String(e)));
        const incEnv = { ...readEnvFiles(envFiles, spec.env_file !== undefined, (n) => env[n]), ...env };
        const sub = loadModel(paths, dir, incEnv, sources, depth + 1);
        for (const kind of ['services', 'networks', 'volumes', 'secrets', 'configs']) {
          const own = isObj(data[kind]) ? (data[kind] as Obj) : {};
          const theirs = isObj(sub[kind]) ? (sub[kind] as Obj) : {};
          for (const name of Object.keys(theirs)) {
            if (kind === 'services' && name in own) throw new ComposeError(`services.${name} conflicts with imported resource`, { file: l.src.file, path: ['include', i], line: l.src.lineOf(['include', i]) });
          }
          data = { ...data, [kind]: { ...theirs, ...own } };
        }
      });
      delete data.include;
    }
    merged = mergeFiles(merged, data);
  }
  return merged;
}

const stringEnv = (e: NodeJS.ProcessEnv): Record<string, string> => Object.fromEntries(Object.entries(e).filter((x): x is [string, string] => x[1] !== undefined));

/** Loads and normalizes a project, loading the schema validator first if a file needs it. */
export async function loadProjectAsync(opts: LoadOptions): Promise<Project> {
  // stdin can be read once only: no second try
  if (opts.files?.includes('-')) await loadValidator();
  try {
    return loadProject(opts);
  } catch (err) {
    if (!(err instanceof ValidatorNotLoaded)) throw err;
    await loadValidator();
    return loadProject(opts);
  }
}

/** Loads and normalizes a project (synchronously: the validator must be loaded, or every file marked valid). */
export function loadProject(opts: LoadOptions): Project {
  cacheDir = validationCache(opts.env);
  interpolating = opts.interpolate !== false;
  const procEnv = stringEnv(opts.env);
  const explicit = opts.files && opts.files.length > 0 ? opts.files.map((f) => (f === '-' ? f : path.resolve(opts.cwd, f))) : undefined;
  let workingDir = path.resolve(opts.cwd, opts.projectDirectory ?? (explicit && explicit[0] !== '-' ? path.dirname(explicit[0]!) : opts.cwd));
  const readEnv = (dir: string) => {
    const files = opts.envFiles && opts.envFiles.length > 0 ? opts.envFiles.map((f) => path.resolve(opts.cwd, f)) : [path.join(dir, '.env')];
    const fromFiles = readEnvFiles(files, !!(opts.envFiles && opts.envFiles.length > 0), (n) => procEnv[n]);
    return { env: { ...fromFiles, ...procEnv }, files: files.filter((f) => fromFiles !== undefined && safeExists(f)) };
  };
  let { env, files: envFiles } = readEnv(workingDir);
  let files = explicit;
  if (!files && env.COMPOSE_FILE) {
    const sep = env.COMPOSE_PATH_SEPARATOR || ':';
    files = env.COMPOSE_FILE.split(sep).filter(Boolean).map((f) => path.resolve(workingDir, f));
  }
  if (!files) {
    files = lookupFiles(workingDir);
    if (!opts.projectDirectory) {
      const dir = path.dirname(files[0]!);
      if (dir !== workingDir) {
        workingDir = dir;
        ({ env, files: envFiles } = readEnv(workingDir));
      }
    }
  }
  const sources: Loaded[] = [];
  const merged = loadModel(files, workingDir, env, sources);
  const where = locator(sources);
  const name = projectName(opts.projectName, env.COMPOSE_PROJECT_NAME, typeof merged.name === 'string' ? merged.name : undefined, workingDir);
  env = { ...env, COMPOSE_PROJECT_NAME: name };

  const rawServices = isObj(merged.services) ? merged.services : {};
  const profiles = new Set([...(opts.profiles ?? []), ...(env.COMPOSE_PROFILES ?? '').split(',').map((s) => s.trim()).filter(Boolean)]);
  const enabled = enabledServices(rawServices, profiles, opts.services ?? []);

  const project: Project = {
    name,
    workingDir,
    configFiles: files,
    envFiles,
    services: {},
    disabled: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    environment: env,
  };
  try {
    for (const [sname, raw] of Object.entries(rawServices)) {
      const svc = normalizeService(sname, isObj(raw) ? raw : {}, env, ['services', sname], !interpolating);
      if (enabled.has(sname)) project.services[sname] = svc;
      else project.disabled[sname] = svc;
    }
  } catch (err) {
    if (err instanceof NormalizeError) throw new ComposeError(err.message, { ...where(err.path), path: err.path });
    throw err;
  }
  const usesDefault = Object.values(project.services).some((s) => s.networks && 'default' in s.networks);
  const rawNetworks = isObj(merged.networks) ? merged.networks : {};
  if (usesDefault || 'default' in rawNetworks) project.networks.default = normalizeNetwork(name, 'default', rawNetworks.default);
  for (const [k, v] of Object.entries(rawNetworks)) if (k !== 'default') project.networks[k] = normalizeNetwork(name, k, v);
  for (const [k, v] of Object.entries(isObj(merged.volumes) ? merged.volumes : {})) project.volumes[k] = normalizeVolume(name, k, v);
  for (const [k, v] of Object.entries(isObj(merged.secrets) ? merged.secrets : {})) project.secrets[k] = normalizeSecret(name, k, v);
  for (const [k, v] of Object.entries(isObj(merged.configs) ? merged.configs : {})) project.configs[k] = normalizeSecret(name, k, v);
  checkReferences(project, where);
  return project;
}

const safeExists = (f: string): boolean => existsSync(f);

/**
 * Services whose profiles are active: no profiles, a profile in the active set (`*` is every profile),
 * named on the command line, or a dependency of one of these.
 */
export function enabledServices(services: Obj, active: Set<string>, named: string[]): Set<string> {
  const on = new Set<string>();
  for (const [name, raw] of Object.entries(services)) {
    const p = isObj(raw) && Array.isArray(raw.profiles) ? (raw.profiles as string[]) : [];
    if (p.length === 0 || active.has('*') || p.some((x) => active.has(x))) on.add(name);
  }
  const queue = named.filter((n) => n in services);
  for (const n of queue) on.add(n);
  // dependencies of explicitly named services come along
  while (queue.length > 0) {
    const n = queue.pop()!;
    const raw = services[n];
    const deps = isObj(raw) ? raw.depends_on : undefined;
    const names = Array.isArray(deps) ? deps.map(String) : isObj(deps) ? Object.keys(deps) : [];
    for (const d of names) {
      if (!on.has(d) && d in services) {
        on.add(d);
        queue.push(d);
      }
    }
  }
  return on;
}

export type { ServiceConfig };
