/** --mount (CSV key=value) and -v/--volume as docker/cli parses them. */
import { isAbsolute, resolve } from 'node:path';
import type { Mount } from '../../api/types.js';
import { parseBytes } from './units.js';

function splitCsv(s: string): string[] {
  // docker reads the value with encoding/csv: fields may be quoted to contain commas
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"') {
      if (q && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else q = !q;
    } else if (c === ',' && !q) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function parseBool(key: string, v: string | undefined): boolean {
  if (v === undefined) return true;
  const l = v.toLowerCase();
  if (['1', 't', 'true'].includes(l)) return true;
  if (['0', 'f', 'false'].includes(l)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
}

export function parseMount(spec: string): Mount {
  const m: Mount = { Type: 'volume', Target: '' };
  let type: Mount['Type'] = 'volume';
  const bind = () => (m.BindOptions ??= {});
  const vol = () => (m.VolumeOptions ??= {});
  const tmpfs = () => (m.TmpfsOptions ??= {});
  const fields = splitCsv(spec);
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    if (val === undefined && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive', 'bind-create-mountpoint'].includes(key)) {
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type':
        if (!['bind', 'volume', 'tmpfs', 'npipe', 'cluster', 'image'].includes(val as string)) throw new Error(`invalid mount type: ${val}`);
        type = val as Mount['Type'];
        break;
      case 'source':
      case 'src':
        m.Source = val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = val as string;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = parseBool(key, val);
        break;
      case 'consistency':
        m.Consistency = val;
        break;
      case 'bind-propagation':
        bind().Propagation = (val as string).toLowerCase();
        break;
      case 'bind-nonrecursive':
        bind().NonRecursive = parseBool(key, val);
        break;
      case 'bind-create-mountpoint':
        bind().CreateMountpoint = parseBool(key, val);
        break;
      case 'volume-nocopy':
        vol().NoCopy = parseBool(key, val);
        break;
      case 'volume-subpath':
        vol().Subpath = val;
        break;
      case 'volume-label': {
        const [k, v] = splitKv(val as string);
        (vol().Labels ??= {})[k] = v;
        break;
      }
      case 'volume-driver':
        (vol().DriverConfig ??= {}).Name = val;
        break;
      case 'volume-opt': {
        const [k, v] = splitKv(val as string);
        const dc = (vol().DriverConfig ??= {});
        (dc.Options ??= {})[k] = v;
        break;
      }
      case 'tmpfs-size':
        tmpfs().SizeBytes = parseBytes(val as string);
        break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val as string)) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfs().Mode = Number.parseInt(val as string, 8);
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  m.Type = type;
  if (m.Target === '') throw new Error('target is required');
  if (m.VolumeOptions && type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${type}'`);
  if (m.BindOptions && type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${type}'`);
  if (m.TmpfsOptions && type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${type}'`);
  return m;
}

function splitKv(s: string): [string, string] {
  const i = s.indexOf('=');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

export interface VolumeConfig {
  binds: string[];
  volumes: Record<string, Record<string, never>>;
}

/**
 * -v specs: `src:dst[:mode]` become Binds (a relative `./src` is made absolute), a bare `dst` an
 * anonymous volume in Config.Volumes.
 */
export function parseVolumes(specs: readonly string[], cwd: string): VolumeConfig {
  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const spec of specs) {
    if (spec === '') throw new Error('invalid empty volume spec');
    const i = spec.indexOf(':');
    if (i < 0) {
      volumes[spec] = {};
      continue;
    }
    let host = spec.slice(0, i);
    const rest = spec.slice(i + 1);
    if (rest === '' || rest.startsWith(':')) throw new Error(`invalid spec: ${spec}: empty section between colons`);
    if (!isAbsolute(host) && host.startsWith('.')) host = resolve(cwd, host);
    binds.push(`${host}:${rest}`);
  }
  return { binds, volumes };
}
