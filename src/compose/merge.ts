/**
 * Merging Compose files (`-f a.yaml -f b.yaml`, overrides, `extends`) by the specification's rules:
 * mappings merge key by key; `command`, `entrypoint` and `healthcheck.test` are replaced; environment,
 * labels, sysctls, extra_hosts, depends_on, networks and ulimits merge as mappings whatever their syntax;
 * volumes, secrets and configs merge by target; ports are appended (duplicates dropped); the other
 * sequences (dns, cap_add, expose, profiles, ...) are appended without duplicates; scalars are replaced.
 * Pure: plain values in, a new value out.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Sequences whose later value replaces the earlier one. */
const REPLACED = new Set(['command', 'entrypoint', 'test']);
/** Service keys that are mappings in either syntax (`KEY=VALUE` lists or maps). */
const KV_LISTS = new Set(['environment', 'labels', 'sysctls', 'annotations']);
const HOSTS = 'extra_hosts';
/** Service keys that are lists of names or maps of names to options. */
const NAME_MAPS = new Set(['depends_on', 'networks']);
/** Sequences of mounts, unique by their target. */
const BY_TARGET = new Set(['volumes', 'secrets', 'configs', 'tmpfs']);

/** `KEY=VALUE` list (or map) as a map; a bare `KEY` is null. */
export function kvToMap(v: unknown, sep = '='): Obj {
  if (isObj(v)) return { ...v };
  const out: Obj = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  }
  return out;
}

/** `[a, b]` or `{a: {...}}` as a map of name to options (null when none). */
export function namesToMap(v: unknown): Obj {
  if (isObj(v)) return { ...v };
  const out: Obj = {};
  if (Array.isArray(v)) for (const n of v) out[String(n)] = null;
  return out;
}

function hostsToMap(v: unknown): Obj {
  if (isObj(v)) return { ...v };
  const out: Obj = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      // `host:ip` or `host=ip` (an IPv6 address holds colons: split at the first one)
      const eq = s.indexOf('=');
      const i = eq >= 0 ? eq : s.indexOf(':');
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  }
  return out;
}

/** The target of a mount in short (`src:dst[:mode]`) or long syntax, or a secret/config reference. */
export function mountTarget(key: string, v: unknown): string {
  if (isObj(v)) {
    if (key === 'secrets' || key === 'configs') return String(v.target ?? v.source ?? '');
    return String(v.target ?? '');
  }
  const s = String(v);
  if (key === 'secrets' || key === 'configs') return s;
  if (key === 'tmpfs') return s.split(':')[0]!;
  const parts = splitVolumeSpec(s);
  return parts.length === 1 ? parts[0]! : parts[1]!;
}

/** Splits `src:dst:mode`, leaving Windows-style drive letters and single paths alone. */
export function splitVolumeSpec(s: string): string[] {
  return s.split(':');
}

function mergeByKey(base: unknown[], over: unknown[], keyOf: (v: unknown) => string): unknown[] {
  const out = [...base];
  for (const item of over) {
    const k = keyOf(item);
    const i = out.findIndex((x) => keyOf(x) === k);
    if (i >= 0) out[i] = item;
    else out.push(item);
  }
  return out;
}

function appendUnique(base: unknown[], over: unknown[]): unknown[] {
  const out = [...base];
  const seen = new Set(out.map((x) => JSON.stringify(x)));
  for (const item of over) {
    const k = JSON.stringify(item);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(item);
    }
  }
  return out;
}

/** Merges two service definitions (`over` wins). */
export function mergeService(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (b === undefined || b === null || v === null) {
      out[k] = v;
    } else if (KV_LISTS.has(k)) {
      out[k] = { ...kvToMap(b), ...kvToMap(v) };
    } else if (k === HOSTS) {
      out[k] = { ...hostsToMap(b), ...hostsToMap(v) };
    } else if (NAME_MAPS.has(k)) {
      out[k] = mergeMaps(namesToMap(b), namesToMap(v));
    } else if (BY_TARGET.has(k) && Array.isArray(b) && Array.isArray(v)) {
      out[k] = mergeByKey(b, v, (x) => mountTarget(k, x));
    } else if (k === 'build' || k === 'healthcheck' || k === 'deploy' || k === 'logging' || k === 'ulimits' || k === 'extends') {
      out[k] = mergeMaps(k === 'build' && typeof b === 'string' ? { context: b } : b, k === 'build' && typeof v === 'string' ? { context: v } : v);
    } else if (REPLACED.has(k)) {
      out[k] = v;
    } else if (Array.isArray(b) && Array.isArray(v)) {
      out[k] = appendUnique(b, v);
    } else if (isObj(b) && isObj(v)) {
      out[k] = mergeMaps(b, v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** Deep merge of mappings; sequences inside follow the same rules as in a service. */
export function mergeMaps(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (REPLACED.has(k) || v === null || b === undefined || b === null) out[k] = v;
    else if (isObj(b) && isObj(v)) out[k] = mergeMaps(b, v);
    else if (Array.isArray(b) && Array.isArray(v)) out[k] = appendUnique(b, v);
    else out[k] = v;
  }
  return out;
}

/** Merges whole Compose files (`over` wins). */
export function mergeFiles(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === 'services' && isObj(v)) {
      const services: Obj = { ...(isObj(out.services) ? out.services : {}) };
      for (const [name, svc] of Object.entries(v)) {
        const prev = services[name];
        services[name] = isObj(prev) && isObj(svc) ? mergeService(prev, svc) : svc;
      }
      out.services = services;
    } else if ((k === 'networks' || k === 'volumes' || k === 'secrets' || k === 'configs') && isObj(v)) {
      const merged: Obj = { ...(isObj(out[k]) ? (out[k] as Obj) : {}) };
      for (const [name, def] of Object.entries(v)) merged[name] = mergeMaps(merged[name] ?? null, def);
      out[k] = merged;
    } else if (k === 'include' && Array.isArray(v)) {
      out[k] = [...(Array.isArray(out[k]) ? (out[k] as unknown[]) : []), ...v];
    } else {
      out[k] = mergeMaps(out[k], v);
    }
  }
  return out;
}
