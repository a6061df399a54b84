/** Key/value style flags as docker/cli parses them: env files, labels, ulimits, devices, restart, caps. */
import type { DeviceMapping, RestartPolicy, Ulimit } from '../../api/types.js';

export type EnvLookup = (name: string) => string | undefined;

/**
 * docker's ParseEnvFile over a file's text: comments and blank lines skipped, `NAME` alone takes the
 * value from the environment (and is dropped when unset), `NAME=value` kept verbatim.
 */
export function parseEnvFileText(text: string, file: string, lookup: EnvLookup): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    if (name === '') throw new Error(`no variable name on line '${line}'`);
    if (/\s/.test(name)) throw new Error(`variable '${name.trimStart()}' contains whitespaces`);
    if (eq >= 0) out.push(line);
    else {
      const v = lookup(name);
      if (v !== undefined) out.push(`${name}=${v}`);
    }
  });
  void file;
  return out;
}

/** -e NAME without a value: the value from the environment if set, else NAME unchanged. */
export function expandEnv(flag: string, lookup: EnvLookup): string {
  if (flag.includes('=')) {
    if (flag.startsWith('=')) throw new Error(`invalid environment variable: ${flag}`);
    return flag;
  }
  const v = lookup(flag);
  return v === undefined ? flag : `${flag}=${v}`;
}

/** ["a=b", "c"] -> {a: "b", c: ""} */
export function kvMap(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i < 0) out[kv] = '';
    else out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** --sysctl / --log-opt style: key=value required. */
export function kvMapStrict(list: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`invalid ${what}: ${kv}`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** --ulimit name=soft[:hard] */
export function parseUlimit(s: string): Ulimit {
  const i = s.indexOf('=');
  if (i <= 0) throw new Error(`invalid ulimit argument: ${s}`);
  const name = s.slice(0, i);
  const limits = s.slice(i + 1).split(':');
  if (limits.length > 2) throw new Error(`too many limit value arguments - ${s.slice(i + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (v: string): number => {
    if (!/^-?\d+$/.test(v)) throw new Error(`invalid ulimit value: ${v}`);
    return Number.parseInt(v, 10);
  };
  const soft = num(limits[0] as string);
  const hard = limits.length === 2 ? num(limits[1] as string) : soft;
  if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

const validDeviceMode = (m: string): boolean => m !== '' && m.length <= 3 && /^[rwm]+$/.test(m) && new Set(m).size === m.length;

/** --device host[:container][:perms] */
export function parseDevice(s: string): DeviceMapping {
  const arr = s.split(':');
  let src = '';
  let dst = '';
  let perms = 'rwm';
  if (arr.length > 3 || arr.length === 0) throw new Error(`invalid device specification: ${s}`);
  if (arr.length === 3) perms = arr[2] as string;
  if (arr.length >= 2) {
    if (validDeviceMode(arr[1] as string)) perms = arr[1] as string;
    else dst = arr[1] as string;
  }
  src = arr[0] as string;
  if (!validDeviceMode(perms)) throw new Error(`invalid device mode: ${perms}`);
  if (dst === '') dst = src;
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms };
}

/** --restart no|always|unless-stopped|on-failure[:max-retries] */
export function parseRestart(s: string): RestartPolicy {
  if (s === '') return { Name: 'no' };
  const parts = s.split(':');
  if (parts.length > 2) throw new Error(`invalid restart policy format: ${s}`);
  const name = parts[0] as string;
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw new Error(`invalid restart policy format: ${s}`);
  if (parts.length === 2) {
    if (name !== 'on-failure') throw new Error(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
    if (!/^\d+$/.test(parts[1] as string)) throw new Error(`invalid restart policy format: maximum retry count must be an integer`);
    return { Name: 'on-failure', MaximumRetryCount: Number.parseInt(parts[1] as string, 10) };
  }
  return { Name: name as RestartPolicy['Name'] };
}

/** Capabilities as docker normalises them: upper case, CAP_ prefix (except ALL), sorted, unique. */
export function normalizeCaps(caps: readonly string[]): string[] {
  const set = new Set<string>();
  for (let c of caps) {
    c = c.toUpperCase();
    if (c !== 'ALL' && !c.startsWith('CAP_')) c = `CAP_${c}`;
    set.add(c);
  }
  return [...set].sort();
}

/** --tmpfs /path[:options] into HostConfig.Tmpfs */
export function parseTmpfs(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list) {
    const i = t.indexOf(':');
    if (i < 0) out[t] = '';
    else out[t.slice(0, i)] = t.slice(i + 1);
  }
  return out;
}
