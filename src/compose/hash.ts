/**
 * The service config hash (label com.docker.compose.config-hash), byte for byte as docker compose v2
 * (2.30 to 2.40, compose-go v2) computes it: ServiceHash clears build, pull_policy, scale,
 * deploy.replicas, depends_on and profiles, then takes the SHA-256 of json.Marshal of compose-go's
 * ServiceConfig. So the JSON here follows that struct: its field order, its `omitempty` rules (a
 * non-pointer struct such as deploy.resources is never omitted; command and entrypoint are always
 * written, null when unset), and its types' own marshalling (durations as Go's Duration text, sizes as
 * quoted byte counts, extra_hosts as a sorted `host=ip` list, file modes as octal strings, float32
 * cpus). Map keys are sorted; x- extensions, the service name, env_file (already read into
 * environment) and extends are not part of it. Before hashing, v2 replaces `service:` references in
 * network_mode, ipc, pid and volumes_from by the referenced container's ID: `refs` does the same.
 */
import { createHash } from 'node:crypto';
import { composeDurationNs, goDurationString, goFileMode, goFloat32, goRamInBytes, goSortKeys, goString } from './gojson.js';
import type { NetworkConfig, ServiceConfig, VolumeConfig } from './model.js';

/** An encoder: the JSON of a value, or undefined when `omitempty` drops it. */
type Enc = (v: unknown) => string | undefined;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const none = (v: unknown): boolean => v === undefined || v === null;
const toStr = (v: unknown): string => (typeof v === 'string' ? v : String(v));
const toBool = (v: unknown): boolean => v === true || v === 'true' || v === 'True' || v === 1;

const S: Enc = (v) => (none(v) || v === '' ? undefined : goString(toStr(v)));
const B: Enc = (v) => (toBool(v) ? 'true' : undefined);
/** *bool: written whenever set */
const PB: Enc = (v) => (none(v) ? undefined : toBool(v) ? 'true' : 'false');
const I: Enc = (v) => {
  const n = Math.trunc(Number(v));
  return none(v) || !Number.isFinite(n) || n === 0 ? undefined : String(n);
};
/** *int / *uint64: written whenever set */
const PI: Enc = (v) => (none(v) ? undefined : String(Math.trunc(Number(v))));
const F32: Enc = (v) => {
  const n = Number(v);
  return none(v) || !Number.isFinite(n) || Math.fround(n) === 0 ? undefined : goFloat32(n);
};
const BYTES: Enc = (v) => {
  if (none(v) || v === '') return undefined;
  const n = goRamInBytes(v);
  return n === 0 ? undefined : `"${n}"`;
};
/** *Duration: written whenever set */
const DUR: Enc = (v) => (none(v) ? undefined : goString(goDurationString(composeDurationNs(v))));
/** Duration (not a pointer): dropped when zero */
const DURV: Enc = (v) => {
  if (none(v)) return undefined;
  const ns = composeDurationNs(v);
  return ns === 0 ? undefined : goString(goDurationString(ns));
};
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : none(v) ? [] : [v]);
const LIST: Enc = (v) => {
  const l = asList(v);
  return l.length === 0 ? undefined : `[${l.map((x) => goString(toStr(x))).join(',')}]`;
};
/** ShellCommand: never omitted, null when unset */
const CMD: Enc = (v) => (none(v) ? 'null' : `[${asList(v).map((x) => goString(toStr(x))).join(',')}]`);

/** `["a=b", "c"]` or `{a: b}` to a plain map (list entries without `=` map to null). */
function kv(v: unknown): Obj {
  if (Array.isArray(v)) {
    const o: Obj = {};
    for (const e of v) {
      const s = toStr(e);
      const i = s.indexOf('=');
      o[i < 0 ? s : s.slice(0, i)] = i < 0 ? null : s.slice(i + 1);
    }
    return o;
  }
  return isObj(v) ? v : {};
}

function mapWith(valueEnc: (v: unknown) => string): Enc {
  return (v) => {
    const o = kv(v);
    const keys = goSortKeys(Object.keys(o));
    if (keys.length === 0) return undefined;
    return `{${keys.map((k) => `${goString(k)}:${valueEnc(o[k])}`).join(',')}}`;
  };
}
/** map[string]string (Mapping, Labels, Options): a null value is "" */
const MAP = mapWith((x) => goString(none(x) ? '' : toStr(x)));
/** MappingWithEquals: a variable without a value is null */
const MAPEQ = mapWith((x) => (none(x) ? 'null' : goString(toStr(x))));
/** map of pointers to structs: null stays null */
const mapOf = (enc: Enc): Enc => mapWith((x) => (none(x) ? 'null' : enc(x) ?? '{}'));

/** A struct pointer: undefined when nil, `{}` when every field is empty. */
function struct(fields: [string, Enc][]): Enc {
  return (v) => {
    if (none(v)) return undefined;
    const o = isObj(v) ? v : {};
    const parts: string[] = [];
    for (const [k, enc] of fields) {
      const e = enc(o[k]);
      if (e !== undefined) parts.push(`${goString(k)}:${e}`);
    }
    return `{${parts.join(',')}}`;
  };
}
/** A struct value (not a pointer): never omitted. */
const always = (enc: Enc): Enc => (v) => enc(none(v) ? {} : v);
/** A slice of structs; `norm` turns a short-syntax entry into its long form. */
const listOf = (enc: Enc, norm: (x: unknown) => unknown = (x) => x): Enc => (v) => {
  const l = asList(v);
  return l.length === 0 ? undefined : `[${l.map((x) => enc(norm(x)) ?? 'null').join(',')}]`;
};

const deviceCount: Enc = (v) => {
  if (none(v)) return undefined;
  return typeof v === 'string' && v.toLowerCase() === 'all' ? '-1' : I(v);
};
const deviceRequestFields = struct([['capabilities', LIST], ['driver', S], ['count', deviceCount], ['device_ids', LIST], ['options', MAP]]);
/** a device request with neither count nor device_ids asks for all */
const deviceRequest: Enc = (v) => {
  const o = isObj(v) ? v : {};
  return deviceRequestFields(o.count === undefined && o.device_ids === undefined ? { ...o, count: 'all' } : o);
};
const resource = struct([
  ['cpus', F32], ['memory', BYTES], ['pids', I], ['devices', listOf(deviceRequest)],
  ['generic_resources', listOf(struct([['discrete_resource_spec', struct([['kind', (v) => goString(toStr(v ?? ''))], ['value', (v) => String(Math.trunc(Number(v ?? 0)))]])]]))],
]);
const updateConfig = struct([['parallelism', PI], ['delay', DURV], ['failure_action', S], ['monitor', DURV], ['max_failure_ratio', F32], ['order', S]]);
const deploy = struct([
  ['mode', S],
  ['labels', MAP],
  ['update_config', updateConfig],
  ['rollback_config', updateConfig],
  ['resources', always(struct([['limits', resource], ['reservations', resource]]))],
  ['restart_policy', struct([['condition', S], ['delay', DUR], ['max_attempts', PI], ['window', DUR]])],
  ['placement', always(struct([['constraints', LIST], ['preferences', listOf(struct([['spread', S]]))], ['max_replicas_per_node', I]]))],
  ['endpoint_mode', S],
]);

/** `src[:dst[:perms]]` devices; the permissions default to rwm and the target to the source. */
const deviceMapping = listOf(struct([['source', S], ['target', S], ['permissions', S]]), (x) => {
  if (isObj(x)) return x;
  const [source = '', target, permissions = 'rwm'] = toStr(x).split(':');
  return { source, target: target || source, permissions };
});
const fileRef = listOf(struct([['source', S], ['target', S], ['uid', S], ['gid', S], ['mode', (v) => (none(v) ? undefined : goFileMode(v))]]), (x) => (isObj(x) ? x : { source: toStr(x) }));
const hook = struct([['command', CMD], ['user', S], ['privileged', B], ['working_dir', S], ['environment', MAPEQ]]);
const throttle = listOf(struct([['Path', (v) => goString(toStr(v ?? ''))], ['Rate', (v) => `"${none(v) ? 0 : goRamInBytes(v)}"`]]), (x) => (isObj(x) ? { Path: x.path, Rate: x.rate } : x));
const blkio = struct([
  ['weight', I],
  ['weight_device', listOf(struct([['Path', (v) => goString(toStr(v ?? ''))], ['Weight', (v) => String(Math.trunc(Number(v ?? 0)))]]), (x) => (isObj(x) ? { Path: x.path, Weight: x.weight } : x))],
  ['device_read_bps', throttle], ['device_read_iops', throttle], ['device_write_bps', throttle], ['device_write_iops', throttle],
]);
const develop = struct([['watch', listOf(struct([
  ['path', (v) => goString(toStr(v ?? ''))], ['action', (v) => goString(toStr(v ?? ''))], ['target', S], ['exec', always(hook)], ['include', LIST], ['ignore', LIST], ['initial_sync', B],
]))]]);
const healthcheck = struct([['test', LIST], ['timeout', DUR], ['interval', DUR], ['retries', PI], ['start_period', DUR], ['start_interval', DUR], ['disable', B]]);
const serviceNetwork = struct([
  ['aliases', LIST], ['driver_opts', MAP], ['gw_priority', I], ['interface_name', S], ['ipv4_address', S], ['ipv6_address', S], ['link_local_ips', LIST], ['mac_address', S], ['priority', I],
]);
const port = struct([['name', S], ['mode', S], ['host_ip', S], ['target', I], ['published', S], ['protocol', S], ['app_protocol', S]]);
const volume = struct([
  ['type', S], ['source', S], ['target', S], ['read_only', B], ['consistency', S],
  ['bind', struct([['selinux', S], ['propagation', S], ['create_host_path', B], ['recursive', S]])],
  ['volume', struct([['labels', MAP], ['nocopy', B], ['subpath', S]])],
  ['tmpfs', struct([['size', BYTES], ['mode', I]])],
  ['image', struct([['subpath', S]])],
]);
/** HostsList: `host=ip` entries, one per address (a value may list several, comma-separated), sorted */
const HOSTS: Enc = (v) => {
  const o = kv(v);
  const list: string[] = [];
  for (const [host, ips] of Object.entries(o)) {
    for (const ip of Array.isArray(ips) ? ips.map(toStr) : toStr(ips ?? '').split(',')) list.push(`${host}=${ip.replace(/^\[(.+)\]$/, '$1')}`);
  }
  return list.length === 0 ? undefined : `[${goSortKeys(list).map(goString).join(',')}]`;
};
const ULIMITS = mapWith((x) => {
  if (isObj(x)) return struct([['soft', I], ['hard', I]])(x)!;
  const n = Math.trunc(Number(x));
  return n !== 0 ? String(n) : '{}';
});
const MULTI = mapWith((x) => `[${asList(x).map((e) => goString(toStr(e))).join(',')}]`);
const models: Enc = (v) => mapOf(struct([['endpoint_var', S], ['model_var', S]]))(Array.isArray(v) ? Object.fromEntries(v.map((n) => [toStr(n), null])) : v);
const networks: Enc = (v) => mapOf(serviceNetwork)(Array.isArray(v) ? Object.fromEntries(v.map((n) => [toStr(n), null])) : v);
const gpus: Enc = (v) => listOf(deviceRequest)(typeof v === 'string' ? [{ count: 'all' }] : v);

/** compose-go's ServiceConfig fields in declaration order (cleared ones left out). */
const SERVICE: [string, Enc][] = [
  ['annotations', MAP], ['attach', PB], ['develop', develop], ['blkio_config', blkio], ['cap_add', LIST], ['cap_drop', LIST],
  ['cgroup_parent', S], ['cgroup', S], ['cpu_count', I], ['cpu_percent', F32], ['cpu_period', I], ['cpu_quota', I],
  ['cpu_rt_period', I], ['cpu_rt_runtime', I], ['cpus', F32], ['cpuset', S], ['cpu_shares', I], ['command', CMD],
  ['configs', fileRef], ['container_name', S], ['credential_spec', struct([['config', S], ['file', S], ['registry', S]])],
  ['deploy', deploy], ['device_cgroup_rules', LIST], ['devices', deviceMapping], ['dns', LIST], ['dns_opt', LIST],
  ['dns_search', LIST], ['dockerfile', S], ['domainname', S], ['entrypoint', CMD], ['provider', struct([['type', S], ['options', MULTI]])],
  ['environment', MAPEQ], ['expose', LIST], ['external_links', LIST], ['extra_hosts', HOSTS], ['group_add', LIST],
  ['gpus', gpus], ['hostname', S], ['healthcheck', healthcheck], ['image', S], ['init', PB], ['ipc', S], ['isolation', S],
  ['labels', MAP], ['label_file', LIST], ['links', LIST], ['logging', struct([['driver', S], ['options', MAP]])],
  ['log_driver', S], ['log_opt', MAP], ['mem_limit', BYTES], ['mem_reservation', BYTES], ['memswap_limit', BYTES],
  ['mem_swappiness', BYTES], ['mac_address', S], ['models', models], ['net', S], ['network_mode', S], ['networks', networks],
  ['oom_kill_disable', B], ['oom_score_adj', I], ['pid', S], ['pids_limit', I], ['platform', S], ['ports', listOf(port)],
  ['privileged', B], ['read_only', B], ['restart', S], ['runtime', S], ['secrets', fileRef], ['security_opt', LIST],
  ['shm_size', BYTES], ['stdin_open', B], ['stop_grace_period', DUR], ['stop_signal', S], ['storage_opt', MAP],
  ['sysctls', MAP], ['tmpfs', LIST], ['tty', B], ['ulimits', ULIMITS], ['use_api_socket', B], ['user', S],
  ['userns_mode', S], ['uts', S], ['volume_driver', S], ['volumes', listOf(volume)], ['volumes_from', LIST],
  ['working_dir', S], ['post_start', listOf(hook)], ['pre_stop', listOf(hook)],
];
const serviceJson = struct(SERVICE);

/** The container ID a `service:` reference resolves to (v2 uses the service's first container). */
export type ServiceRefs = (service: string) => string | undefined;

/** v2's resolveServiceReferences: `service:x` and volumes_from `x[:mode]` become container IDs. */
function resolveRefs(s: ServiceConfig, refs: ServiceRefs): ServiceConfig {
  const out: ServiceConfig = { ...s };
  for (const key of ['network_mode', 'ipc', 'pid'] as const) {
    const v = s[key];
    if (typeof v === 'string' && v.startsWith('service:')) {
      const id = refs(v.slice('service:'.length));
      if (id) out[key] = `container:${id}`;
    }
  }
  if (Array.isArray(s.volumes_from)) {
    out.volumes_from = s.volumes_from.map((v) => {
      const spec = v.split(':');
      if (spec[0] === 'container') return spec[1] ?? v;
      return refs(spec[0]!) ?? v;
    });
  }
  return out;
}

/** The exact bytes v2 hashes for a service. */
export function hashInput(s: ServiceConfig, refs?: ServiceRefs): string {
  const r = refs ? resolveRefs(s, refs) : s;
  const deployValue = isObj(r.deploy) ? { ...r.deploy, replicas: undefined } : r.deploy;
  return serviceJson({ ...r, deploy: deployValue })!;
}

export function serviceHash(s: ServiceConfig, refs?: ServiceRefs): string {
  return createHash('sha256').update(hashInput(s, refs)).digest('hex');
}

const networkJson = struct([
  ['name', S], ['driver', S], ['driver_opts', MAP],
  ['ipam', always(struct([['driver', S], ['config', listOf(struct([['subnet', S], ['gateway', S], ['ip_range', S], ['aux_addresses', MAP]]))]]))],
  ['external', B], ['internal', B], ['attachable', B], ['labels', MAP], ['enable_ipv4', PB], ['enable_ipv6', PB],
]);
const volumeJson = struct([['name', S], ['driver', S], ['driver_opts', MAP], ['external', B], ['labels', MAP]]);

/** v2's NetworkHash (label com.docker.compose.config-hash on a network): json.Marshal of the network. */
export function networkHash(n: NetworkConfig): string {
  return createHash('sha256').update(networkJson(n)!).digest('hex');
}

/** v2's VolumeHash: json.Marshal of the volume, its driver "local" when unset. */
export function volumeHash(v: VolumeConfig): string {
  return createHash('sha256').update(volumeJson({ ...v, driver: v.driver || 'local' })!).digest('hex');
}
