/**
 * From merged plain values to the normalized model: every short syntax becomes its long form (ports,
 * volumes, depends_on, networks, environment, healthcheck test, build), implicit resources get their
 * names (`<project>_default`, `<project>_<volume>`), env_files are read into the environment.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ComposeError, type ModelPath } from './errors.js';
import { envMap, EnvFileError, parseEnvFile } from './envfile.js';
import { kvToMap, namesToMap, splitVolumeSpec } from './merge.js';
import { shellSplit } from './shellwords.js';
import type { BuildConfig, DependsOn, FileReference, Healthcheck, NetworkConfig, PortConfig, SecretConfig, ServiceConfig, ServiceNetwork, VolumeConfig, VolumeMount } from './model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Where an error in normalization points (file and line are found by the caller from the path). */
export class NormalizeError extends Error {
  constructor(message: string, readonly path: ModelPath) {
    super(message);
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

function parseRange(s: string, path: ModelPath): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new NormalizeError(`invalid port "${s}"`, path);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a || a < 0 || b > 65535) throw new NormalizeError(`invalid port range "${s}"`, path);
  return [a, b];
}

/** `[host_ip:][published:]target[/protocol]`, with ranges; one PortConfig per container port. */
export function parsePortSpec(spec: string, path: ModelPath = []): PortConfig[] {
  let s = spec;
  let protocol = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    protocol = s.slice(slash + 1);
    s = s.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    hostIp = s.slice(1, end);
    s = s.slice(end + 2);
  }
  const parts = s.split(':');
  let published: string | undefined;
  let target: string;
  if (parts.length === 1) target = parts[0]!;
  else if (parts.length === 2) [published, target] = [parts[0]!, parts[1]!];
  else if (parts.length === 3 && hostIp === undefined) [hostIp, published, target] = [parts[0]!, parts[1]!, parts[2]!];
  else throw new NormalizeError(`invalid port "${spec}"`, path);
  const [t0, t1] = parseRange(target, path);
  const out: PortConfig[] = [];
  let pub: [number, number] | undefined;
  if (published !== undefined && published !== '') pub = parseRange(published, path);
  if (pub && pub[1] - pub[0] !== t1 - t0 && pub[0] !== pub[1]) throw new NormalizeError(`port ranges don't match in "${spec}"`, path);
  for (let p = t0; p <= t1; p++) {
    const pc: PortConfig = { mode: 'ingress', target: p, protocol };
    if (hostIp) pc.host_ip = hostIp;
    if (pub) pc.published = pub[0] === pub[1] && t0 !== t1 ? `${pub[0]}` : String(pub[0] + (p - t0));
    if (pub && pub[0] !== pub[1] && pub[1] - pub[0] !== t1 - t0) pc.published = `${pub[0]}-${pub[1]}`;
    out.push(pc);
  }
  return out;
}

function normalizePorts(v: unknown, path: ModelPath): PortConfig[] {
  const out: PortConfig[] = [];
  (v as unknown[]).forEach((p, i) => {
    if (isObj(p)) {
      const target = Number(p.target);
      if (!Number.isInteger(target) || target < 0 || target > 65535) throw new NormalizeError(`invalid target port "${str(p.target)}": must be an integer from 0 to 65535`, [...path, i, 'target']);
      const pc: PortConfig = { mode: str(p.mode ?? 'ingress'), target, protocol: str(p.protocol ?? 'tcp') };
      if (p.published !== undefined && p.published !== null) pc.published = str(p.published);
      if (p.host_ip) pc.host_ip = str(p.host_ip);
      if (p.name) pc.name = str(p.name);
      if (p.app_protocol) pc.app_protocol = str(p.app_protocol);
      out.push(pc);
    } else out.push(...parsePortSpec(str(p), [...path, i]));
  });
  return out;
}

/** Go's path.Clean, which compose-go applies to volume targets: no `.`/`..` parts, no trailing slash. */
export function goPathClean(p: string): string {
  if (p === '') return '';
  const out = path.posix.normalize(p);
  return out.length > 1 && out.endsWith('/') ? out.slice(0, -1) : out;
}

/** Short volume syntax `[source:]target[:mode]` to the long form. */
export function parseVolumeSpec(spec: string, path: ModelPath = []): VolumeMount {
  const parts = splitVolumeSpec(spec);
  if (parts.length === 1) return { type: 'volume', target: goPathClean(parts[0]!), volume: {} };
  if (parts.length > 3) throw new NormalizeError(`invalid volume specification: "${spec}"`, path);
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (target === '' || !target.startsWith('/')) throw new NormalizeError(`invalid volume specification: "${spec}": the target must be an absolute path`, path);
  const bind = source.startsWith('/');
  const m: VolumeMount = { type: bind ? 'bind' : 'volume', source, target: goPathClean(target) };
  const opts = mode ? mode.split(',') : [];
  for (const o of opts) {
    if (o === 'ro') m.read_only = true;
    else if (o === 'rw') m.read_only = false;
    else if (o === 'nocopy') m.volume = { nocopy: true };
    else if (o === 'z' || o === 'Z') m.bind = { ...m.bind, selinux: o };
    else if (['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'].includes(o)) m.bind = { ...m.bind, propagation: o };
    else if (o !== 'cached' && o !== 'delegated' && o !== 'consistent') throw new NormalizeError(`invalid volume mode "${o}" in "${spec}"`, path);
  }
  if (m.read_only === false) delete m.read_only;
  // as compose-go's short syntax: a bind creates its host path, a volume always has its (maybe empty) options
  if (bind) m.bind = { ...m.bind, create_host_path: true };
  else m.volume ??= {};
  return m;
}

function normalizeVolumes(v: unknown, path: ModelPath): VolumeMount[] {
  return (v as unknown[]).map((x, i) => {
    if (isObj(x)) {
      // the long syntax gets no defaults (compose-go adds none: they would change the config hash)
      const m = { ...x } as unknown as VolumeMount;
      if (typeof m.target === 'string') m.target = goPathClean(m.target);
      return m;
    }
    return parseVolumeSpec(str(x), [...path, i]);
  });
}

function toCommand(v: unknown, path: ModelPath): string[] | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(str);
  try {
    return shellSplit(str(v));
  } catch (err) {
    throw new NormalizeError((err as Error).message, path);
  }
}

function normalizeHealthcheck(h: Obj): Healthcheck {
  const out = { ...h } as Healthcheck & Obj;
  if (typeof h.test === 'string') out.test = ['CMD-SHELL', h.test];
  else if (Array.isArray(h.test)) out.test = h.test.map(str);
  return out;
}

function normalizeBuild(b: unknown): BuildConfig {
  if (typeof b === 'string') return { context: b, dockerfile: 'Dockerfile' };
  const o = b as Obj;
  const out = { ...o, context: str(o.context ?? '.') } as BuildConfig & Obj;
  if (out.dockerfile === undefined && out.dockerfile_inline === undefined) out.dockerfile = 'Dockerfile';
  if (o.args !== undefined) out.args = kvToMap(o.args) as Record<string, string | null>;
  if (o.labels !== undefined) out.labels = kvToMap(o.labels) as Record<string, string>;
  return out;
}

function normalizeDependsOn(v: unknown): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {};
  for (const [name, opts] of Object.entries(namesToMap(v))) {
    const o = isObj(opts) ? opts : {};
    const d: DependsOn = { condition: (o.condition as DependsOn['condition']) ?? 'service_started', required: o.required === undefined ? true : Boolean(o.required) };
    if (o.restart !== undefined) d.restart = Boolean(o.restart);
    out[name] = d;
  }
  return out;
}

function fileRefs(v: unknown): FileReference[] {
  return (v as unknown[]).map((x) => (isObj(x) ? ({ ...x } as unknown as FileReference) : { source: str(x) }));
}

/** env_file entries in their long form. */
function envFiles(v: unknown): { path: string; required: boolean; format?: string }[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((e) => (isObj(e) ? { path: str(e.path), required: e.required === undefined ? true : Boolean(e.required), ...(e.format ? { format: str(e.format) } : {}) } : { path: str(e), required: true }));
}

/**
 * Normalizes one service. `env` resolves environment entries without a value; env_file contents are
 * merged under the service's own environment.
 */
export function normalizeService(name: string, raw: Obj, env: Record<string, string>, path: ModelPath, lenient = false): ServiceConfig {
  // without interpolation (config --no-interpolate) `${VAR}` stays in values: what cannot be parsed is kept
  // as written, and files named through a variable are not read
  const tolerant = <T>(f: () => T, rawValue: unknown): T => {
    if (!lenient) return f();
    try {
      return f();
    } catch (err) {
      if (err instanceof NormalizeError && JSON.stringify(rawValue).includes('${')) return rawValue as T;
      throw err;
    }
  };
  const s: ServiceConfig = { ...(raw as Obj), name } as ServiceConfig;
  delete (s as Obj).extends;
  if (raw.build !== undefined) s.build = normalizeBuild(raw.build);
  if (raw.command !== undefined) s.command = tolerant(() => toCommand(raw.command, [...path, 'command']), raw.command);
  if (raw.entrypoint !== undefined) s.entrypoint = tolerant(() => toCommand(raw.entrypoint, [...path, 'entrypoint']), raw.entrypoint);
  let environment: Record<string, string | null> = {};
  if (raw.env_file !== undefined) {
    s.env_file = envFiles(raw.env_file);
    s.env_file.forEach((ef, i) => {
      if (lenient && ef.path.includes('${')) return;
      let text: string;
      try {
        text = readFileSync(ef.path, 'utf8');
      } catch (err) {
        if (!ef.required && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw new NormalizeError(`env file ${ef.path} not found: ${(err as Error).message}`, [...path, 'env_file', i]);
      }
      try {
        for (const [k, v] of envMap(parseEnvFile(text, (n) => env[n], ef.format === 'raw'))) environment[k] = v;
      } catch (err) {
        if (err instanceof EnvFileError) throw new NormalizeError(`${ef.path}:${err.line}: ${err.message}`, [...path, 'env_file', i]);
        throw err;
      }
    });
  }
  if (raw.environment !== undefined) {
    for (const [k, v] of Object.entries(kvToMap(raw.environment))) environment[k] = v === null || v === undefined ? env[k] ?? null : str(v);
  }
  if (raw.environment !== undefined || raw.env_file !== undefined) s.environment = environment;
  if (raw.labels !== undefined) s.labels = Object.fromEntries(Object.entries(kvToMap(raw.labels)).map(([k, v]) => [k, v === null ? '' : str(v)]));
  if (raw.label_file !== undefined) {
    // label files first (a later file wins, and may use what earlier ones set), the service's labels over them
    const files = Array.isArray(raw.label_file) ? raw.label_file.map(str) : [str(raw.label_file)];
    s.label_file = files;
    const fromFiles: Record<string, string> = {};
    files.forEach((f, i) => {
      if (lenient && f.includes('${')) return;
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch (err) {
        throw new NormalizeError(`label file ${f} not found: ${(err as Error).message}`, [...path, 'label_file', i]);
      }
      try {
        for (const [k, v] of envMap(parseEnvFile(text, (n) => fromFiles[n]))) fromFiles[k] = v;
      } catch (err) {
        if (err instanceof EnvFileError) throw new NormalizeError(`${f}:${err.line}: ${err.message}`, [...path, 'label_file', i]);
        throw err;
      }
    });
    s.labels = { ...fromFiles, ...(s.labels ?? {}) };
  }
  // docker compose up builds (and then runs) for DOCKER_DEFAULT_PLATFORM when a built service names none
  if (raw.build !== undefined && raw.platform === undefined && env.DOCKER_DEFAULT_PLATFORM) s.platform = env.DOCKER_DEFAULT_PLATFORM;
  if (raw.annotations !== undefined) s.annotations = kvToMap(raw.annotations);
  if (raw.sysctls !== undefined) s.sysctls = Object.fromEntries(Object.entries(kvToMap(raw.sysctls)).map(([k, v]) => [k, str(v)]));
  if (raw.extra_hosts !== undefined) {
    const m: Record<string, string> = {};
    const list = Array.isArray(raw.extra_hosts) ? raw.extra_hosts.map(str) : Object.entries(raw.extra_hosts as Obj).map(([k, v]) => `${k}=${str(v)}`);
    for (const e of list) {
      const eq = e.indexOf('=');
      const i = eq >= 0 ? eq : e.indexOf(':');
      if (i > 0) m[e.slice(0, i)] = e.slice(i + 1).replace(/^\[(.*)\]$/, '$1');
    }
    s.extra_hosts = m;
  }
  if (raw.ports !== undefined) s.ports = tolerant(() => normalizePorts(raw.ports, [...path, 'ports']), raw.ports);
  if (raw.expose !== undefined) s.expose = (raw.expose as unknown[]).map(str);
  if (raw.volumes !== undefined) s.volumes = tolerant(() => normalizeVolumes(raw.volumes, [...path, 'volumes']), raw.volumes);
  if (raw.depends_on !== undefined) s.depends_on = normalizeDependsOn(raw.depends_on);
  if (raw.healthcheck !== undefined && isObj(raw.healthcheck)) s.healthcheck = normalizeHealthcheck(raw.healthcheck);
  // a secret is mounted at /run/secrets/<source> unless it says where (compose-go writes that default in)
  if (raw.secrets !== undefined) s.secrets = fileRefs(raw.secrets).map((r) => (r.target === undefined ? { ...r, target: `/run/secrets/${r.source}` } : r));
  if (raw.configs !== undefined) s.configs = fileRefs(raw.configs);
  if (raw.networks !== undefined) s.networks = namesToMap(raw.networks) as Record<string, ServiceNetwork | null>;
  else if (raw.network_mode === undefined) s.networks = { default: null };
  if (raw.scale !== undefined) s.scale = Number(raw.scale);
  if (raw.dns !== undefined && !Array.isArray(raw.dns)) s.dns = [str(raw.dns)];
  if (raw.dns_search !== undefined && !Array.isArray(raw.dns_search)) s.dns_search = [str(raw.dns_search)];
  if (raw.tmpfs !== undefined && !Array.isArray(raw.tmpfs)) s.tmpfs = [str(raw.tmpfs)];
  return s;
}

/** How many containers a service wants: scale, else deploy.replicas, else 1. */
export function replicasOf(s: ServiceConfig): number {
  if (s.scale !== undefined) return s.scale;
  if (s.deploy?.replicas !== undefined) return Number(s.deploy.replicas);
  return 1;
}

export function normalizeNetwork(project: string, key: string, raw: unknown): NetworkConfig {
  const o = isObj(raw) ? raw : {};
  const ext = o.external;
  const external = ext === true || isObj(ext);
  const extName = isObj(ext) && typeof ext.name === 'string' ? ext.name : undefined;
  const name = typeof o.name === 'string' ? o.name : extName ?? (external ? key : `${project}_${key}`);
  const n = { ...o, name } as NetworkConfig & Obj;
  if (external) n.external = true;
  if (o.labels !== undefined) n.labels = kvToMap(o.labels) as Record<string, string>;
  return n;
}

export function normalizeVolume(project: string, key: string, raw: unknown): VolumeConfig {
  const o = isObj(raw) ? raw : {};
  const ext = o.external;
  const external = ext === true || isObj(ext);
  const extName = isObj(ext) && typeof ext.name === 'string' ? ext.name : undefined;
  const name = typeof o.name === 'string' ? o.name : extName ?? (external ? key : `${project}_${key}`);
  const v = { ...o, name } as VolumeConfig & Obj;
  if (external) v.external = true;
  if (o.labels !== undefined) v.labels = kvToMap(o.labels) as Record<string, string>;
  return v;
}

export function normalizeSecret(project: string, key: string, raw: unknown): SecretConfig {
  const o = isObj(raw) ? raw : {};
  const external = o.external === true || isObj(o.external);
  return { ...o, name: typeof o.name === 'string' ? o.name : external ? key : `${project}_${key}` } as SecretConfig;
}
