/**
 * A service (and its container number) as the body of POST /containers/create: image and command,
 * environment, labels, ports, mounts, networks with aliases, healthcheck, restart policy, resources,
 * security and kernel options, logging. Pure: names of other containers and the image ID are given.
 */
import type { ContainerCreateBody, EndpointSettings, HostConfig, Mount, PortBinding } from '../api/types.js';
import { parseDuration } from '../core/duration.js';
import { ramInBytes } from '../core/units.js';
import type { Project, ServiceConfig, VolumeMount } from './model.js';

export interface SpecContext {
  project: Project;
  service: ServiceConfig;
  /** the container's name (used for its own aliases) */
  name: string;
  labels: Record<string, string>;
  /** container names by service, for volumes_from, links and network_mode service: */
  containerOf: (service: string) => string | undefined;
  /** host paths of secrets and configs with content or environment sources */
  fileOf?: (kind: 'secrets' | 'configs', name: string) => string | undefined;
  /** one-off (run) containers get no aliases of their service, and no published ports unless asked */
  oneoff?: boolean;
  servicePorts?: boolean;
}

const ns = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseDuration(d));
const bytes = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : typeof v === 'number' ? v : ramInBytes(String(v)));

function restartPolicy(r: string | undefined): HostConfig['RestartPolicy'] {
  if (!r || r === 'no') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = r.split(':');
  return { Name: name as 'always', MaximumRetryCount: count ? Number(count) : 0 };
}

function mountOf(p: Project, v: VolumeMount): Mount {
  const m: Mount = { Type: v.type as Mount['Type'], Target: v.target };
  if (v.read_only) m.ReadOnly = true;
  if (v.type === 'volume') {
    if (v.source) m.Source = p.volumes[v.source]?.name ?? v.source;
    if (v.volume?.nocopy || v.volume?.subpath) m.VolumeOptions = { NoCopy: v.volume.nocopy, Subpath: v.volume.subpath };
  } else if (v.type === 'bind') {
    m.Source = v.source;
    m.BindOptions = { CreateMountpoint: v.bind?.create_host_path !== false };
    if (v.bind?.propagation) m.BindOptions.Propagation = v.bind.propagation;
  } else if (v.type === 'tmpfs') {
    if (v.tmpfs?.size !== undefined || v.tmpfs?.mode !== undefined) m.TmpfsOptions = { SizeBytes: bytes(v.tmpfs.size), Mode: v.tmpfs.mode };
  }
  return m;
}

function portsOf(s: ServiceConfig, publish: boolean): { exposed: Record<string, Record<string, never>>; bindings: Record<string, PortBinding[]> } {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const e of s.expose ?? []) {
    const [port, proto] = e.split('/');
    exposed[`${port}/${proto ?? 'tcp'}`] = {};
  }
  for (const p of s.ports ?? []) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    if (!publish) continue;
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  return { exposed, bindings };
}

/** The networks a service joins, by priority (highest first), then by name. */
export function networksByPriority(s: ServiceConfig): string[] {
  return Object.entries(s.networks ?? {})
    .sort(([a, x], [b, y]) => (y?.priority ?? 0) - (x?.priority ?? 0) || a.localeCompare(b))
    .map(([k]) => k);
}

function networkMode(ctx: SpecContext): string | undefined {
  const m = ctx.service.network_mode;
  if (m === undefined) {
    const first = networksByPriority(ctx.service)[0];
    return first === undefined ? undefined : ctx.project.networks[first]?.name ?? first;
  }
  if (m.startsWith('service:')) {
    const c = ctx.containerOf(m.slice(8));
    return `container:${c ?? m.slice(8)}`;
  }
  return m;
}

function healthcheck(s: ServiceConfig): ContainerCreateBody['Healthcheck'] {
  const h = s.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  const out: NonNullable<ContainerCreateBody['Healthcheck']> = {};
  if (h.test) out.Test = h.test;
  if (h.interval) out.Interval = ns(h.interval);
  if (h.timeout) out.Timeout = ns(h.timeout);
  if (h.retries !== undefined) out.Retries = Number(h.retries);
  if (h.start_period) out.StartPeriod = ns(h.start_period);
  if (h.start_interval) out.StartInterval = ns(h.start_interval);
  return out;
}

function ulimits(u: unknown): HostConfig['Ulimits'] {
  if (!u || typeof u !== 'object') return undefined;
  return Object.entries(u as Record<string, unknown>).map(([Name, v]) =>
    typeof v === 'object' && v !== null ? { Name, Soft: Number((v as { soft: number }).soft), Hard: Number((v as { hard: number }).hard) } : { Name, Soft: Number(v), Hard: Number(v) });
}

function devices(d: unknown): HostConfig['Devices'] {
  if (!Array.isArray(d)) return undefined;
  return d.map((x) => {
    if (typeof x === 'object' && x !== null) {
      const o = x as { source: string; target?: string; permissions?: string };
      return { PathOnHost: o.source, PathInContainer: o.target ?? o.source, CgroupPermissions: o.permissions ?? 'rwm' };
    }
    const [src, dst, perm] = String(x).split(':');
    return { PathOnHost: src, PathInContainer: dst ?? src, CgroupPermissions: perm ?? 'rwm' };
  });
}

function tmpfsMap(t: unknown): Record<string, string> | undefined {
  if (t === undefined) return undefined;
  const list = Array.isArray(t) ? t.map(String) : [String(t)];
  const out: Record<string, string> = {};
  for (const e of list) {
    const i = e.indexOf(':');
    if (i < 0) out[e] = '';
    else out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/** Secrets and configs as read-only bind mounts of their files. */
function fileMounts(ctx: SpecContext): Mount[] {
  const out: Mount[] = [];
  for (const kind of ['secrets', 'configs'] as const) {
    for (const r of ctx.service[kind] ?? []) {
      const def = ctx.project[kind][r.source];
      const file = def?.file ?? ctx.fileOf?.(kind, r.source);
      if (!file) continue;
      const target = r.target ? (r.target.startsWith('/') ? r.target : kind === 'secrets' ? `/run/secrets/${r.target}` : `/${r.target}`) : kind === 'secrets' ? `/run/secrets/${r.source}` : `/${r.source}`;
      out.push({ Type: 'bind', Source: file, Target: target, ReadOnly: true });
    }
  }
  return out;
}

export function containerSpec(ctx: SpecContext): ContainerCreateBody {
  const { project: p, service: s } = ctx;
  const publish = !ctx.oneoff || ctx.servicePorts === true;
  const { exposed, bindings } = portsOf(s, publish);
  const env = Object.entries(s.environment ?? {}).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${v}`);
  const mounts = [...(s.volumes ?? []).map((v) => mountOf(p, v)), ...fileMounts(ctx)];
  const limits = s.deploy?.resources?.limits ?? {};
  const reservations = s.deploy?.resources?.reservations ?? {};
  const cpus = limits.cpus ?? s.cpus;
  const hc: HostConfig = {
    NetworkMode: networkMode(ctx),
    PortBindings: bindings,
    RestartPolicy: restartPolicy(s.restart),
    Mounts: mounts,
    VolumesFrom: (s.volumes_from ?? []).map((v) => {
      if (v.startsWith('container:')) return v.slice(10);
      const [svc, mode] = v.split(':');
      const c = ctx.containerOf(svc!) ?? svc!;
      return mode ? `${c}:${mode}` : c;
    }),
    CapAdd: (s.cap_add as string[] | undefined) ?? null,
    CapDrop: (s.cap_drop as string[] | undefined) ?? null,
    Dns: (s.dns as string[] | undefined) ?? null,
    DnsSearch: (s.dns_search as string[] | undefined) ?? null,
    DnsOptions: (s.dns_opt as string[] | undefined) ?? null,
    ExtraHosts: Object.entries(s.extra_hosts ?? {}).map(([h, ip]) => `${h}:${ip}`),
    Links: ((s.links as string[] | undefined) ?? []).map((l) => {
      const [svc, alias] = l.split(':');
      return `${ctx.containerOf(svc!) ?? svc}:${alias ?? svc}`;
    }).concat((s.external_links as string[] | undefined) ?? []),
    Privileged: s.privileged === true,
    ReadonlyRootfs: s.read_only === true,
    SecurityOpt: (s.security_opt as string[] | undefined) ?? null,
    Sysctls: (s.sysctls as Record<string, string> | undefined) ?? null,
    Ulimits: ulimits(s.ulimits),
    Devices: devices(s.devices),
    Tmpfs: tmpfsMap(s.tmpfs),
    ShmSize: bytes(s.shm_size),
    PidMode: s.pid as string | undefined,
    IpcMode: s.ipc as string | undefined,
    Init: s.init === undefined ? undefined : Boolean(s.init),
    GroupAdd: (s.group_add as string[] | undefined)?.map(String),
    OomScoreAdj: s.oom_score_adj as number | undefined,
    Memory: bytes(limits.memory ?? s.mem_limit),
    MemoryReservation: bytes(reservations.memory ?? s.mem_reservation),
    MemorySwap: bytes(s.memswap_limit),
    NanoCpus: cpus === undefined ? undefined : Math.round(Number(cpus) * 1e9),
    CpuShares: s.cpu_shares as number | undefined,
    PidsLimit: (limits.pids ?? s.pids_limit) as number | undefined,
    CgroupParent: s.cgroup_parent as string | undefined,
    UsernsMode: s.userns_mode as string | undefined,
    Runtime: s.runtime as string | undefined,
  };
  const logging = s.logging as { driver?: string; options?: Record<string, string> } | undefined;
  if (logging) hc.LogConfig = { Type: logging.driver ?? 'json-file', Config: logging.options ?? {} };
  const endpoints: Record<string, EndpointSettings> = {};
  if (s.network_mode === undefined) {
    for (const key of networksByPriority(s)) {
      const n = s.networks?.[key] ?? null;
      const net = p.networks[key]?.name ?? key;
      const aliases = ctx.oneoff ? [...(n?.aliases ?? [])] : [s.name, ...(n?.aliases ?? [])];
      const ep: EndpointSettings = { Aliases: aliases };
      if (n?.ipv4_address || n?.ipv6_address) ep.IPAMConfig = { IPv4Address: n.ipv4_address, IPv6Address: n.ipv6_address };
      if (n?.mac_address) ep.MacAddress = n.mac_address;
      if (n?.driver_opts) ep.DriverOpts = n.driver_opts;
      endpoints[net] = ep;
    }
  }
  const stopGrace = s.stop_grace_period as string | undefined;
  const body: ContainerCreateBody = {
    Image: s.image,
    Cmd: s.command ?? undefined,
    Entrypoint: s.entrypoint ?? undefined,
    Env: env,
    Labels: ctx.labels,
    User: s.user as string | undefined,
    WorkingDir: s.working_dir as string | undefined,
    Hostname: s.hostname as string | undefined,
    Domainname: s.domainname as string | undefined,
    Tty: s.tty === true,
    OpenStdin: s.stdin_open === true,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    StopSignal: s.stop_signal as string | undefined,
    StopTimeout: stopGrace === undefined ? undefined : Math.round(parseDuration(stopGrace) / 1e9),
    ExposedPorts: exposed,
    Healthcheck: healthcheck(s),
    MacAddress: s.mac_address as string | undefined,
    Volumes: null,
    HostConfig: hc,
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
  return body;
}
