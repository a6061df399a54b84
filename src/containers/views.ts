/** Docker's JSON views of a container: inspect, list summary, and the `ps` status line. */
import { inspectMounts } from '../volumes/mounts.js';
import type { ContainerInspect, ContainerSummary, EndpointSettings, NetworkSettings, Port, PortBinding } from '../api/types.js';
import type { ContainerRecord } from './record.js';
import { invalidArgument } from '../core/errors.js';
import { humanDuration } from '../core/humanize.js';

const emptyEndpoint = (): EndpointSettings => ({
  IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0,
  IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DriverOpts: null, DNSNames: null,
});

/**
 * NetworkSettings as Docker shows it: one entry per network (host/none included), the default
 * bridge's addresses repeated at the top level, and the published ports.
 */
export function networkSettings(rec: ContainerRecord, ports: Record<string, PortBinding[] | null> = {}): NetworkSettings {
  const mode = rec.hostConfig.NetworkMode ?? 'default';
  const networks: NetworkSettings['Networks'] = {};
  if (mode === 'none' || mode === 'host') networks[mode] = { ...emptyEndpoint(), ...(rec.networks?.[mode] ?? {}) };
  for (const [k, ep] of Object.entries(rec.networks ?? {})) networks[k] = { ...emptyEndpoint(), ...ep };
  const br = rec.networks?.bridge;
  const running = rec.state.Status === 'running' || rec.state.Status === 'paused';
  return {
    Bridge: '', SandboxID: running && br ? rec.id : '', SandboxKey: running && rec.state.Pid ? `/proc/${rec.state.Pid}/ns/net` : '',
    HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
    Ports: ports, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: br?.EndpointID ?? '', Gateway: br?.Gateway ?? '',
    GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: br?.IPAddress ?? '', IPPrefixLen: br?.IPPrefixLen ?? 0, IPv6Gateway: '',
    MacAddress: br?.MacAddress ?? '', Networks: networks,
  };
}

/** ContainerSummary.Ports from NetworkSettings.Ports. */
export function summaryPorts(ports: Record<string, PortBinding[] | null>): Port[] {
  const out: Port[] = [];
  for (const [k, list] of Object.entries(ports)) {
    const [p, protoRaw = 'tcp'] = k.split('/');
    const proto = protoRaw as Port['Type'];
    if (!list) out.push({ PrivatePort: Number(p), Type: proto });
    else for (const b of list) out.push({ IP: b.HostIp, PrivatePort: Number(p), PublicPort: Number(b.HostPort), Type: proto });
  }
  return out;
}

export function inspectView(rec: ContainerRecord, extra: { execIds: string[]; graphDriver: Record<string, string>; ports?: Record<string, PortBinding[] | null> }): ContainerInspect {
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: rec.state,
    Image: rec.image,
    ResolvConfPath: rec.resolvConfPath,
    HostnamePath: rec.hostnamePath,
    HostsPath: rec.hostsPath,
    LogPath: rec.logPath,
    Name: rec.name,
    RestartCount: rec.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: extra.execIds.length ? extra.execIds : null,
    HostConfig: {
      Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: 'default', PortBindings: {},
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null,
      ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: 'host', Dns: [], DnsOptions: [], DnsSearch: [],
      ExtraHosts: null, GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '',
      Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '',
      ShmSize: 67108864, Runtime: 'runc', Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '',
      BlkioWeight: 0, CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '', CpusetMems: '', MemoryReservation: 0, MemorySwap: 0,
      MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, Ulimits: null, Devices: [], Mounts: null,
      MaskedPaths: null, ReadonlyPaths: null,
      ...rec.hostConfig,
    },
    GraphDriver: { Name: 'overlay2', Data: extra.graphDriver },
    Mounts: inspectMounts(rec.mounts ?? []),
    Config: {
      Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false,
      OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null,
      OnBuild: null, Labels: {},
      ...rec.config,
    },
    NetworkSettings: networkSettings(rec, extra.ports),
  };
}

export function statusLine(rec: ContainerRecord, now = Date.now()): string {
  const st = rec.state;
  switch (st.Status) {
    case 'running': return `Up ${humanDuration(now - Date.parse(st.StartedAt))}${st.Health && st.Health.Status !== 'none' ? ` (${st.Health.Status === 'starting' ? 'health: starting' : st.Health.Status})` : ''}`;
    case 'paused': return `Up ${humanDuration(now - Date.parse(st.StartedAt))} (Paused)`;
    case 'restarting': return `Restarting (${st.ExitCode}) ${humanDuration(now - Date.parse(st.FinishedAt))} ago`;
    case 'removing': return 'Removal In Progress';
    case 'dead': return 'Dead';
    case 'created': return 'Created';
    case 'exited': return rec.hasBeenStarted ? `Exited (${st.ExitCode}) ${humanDuration(now - Date.parse(st.FinishedAt))} ago` : 'Created';
  }
}

export function summaryView(rec: ContainerRecord, imageName: string, portMap: Record<string, PortBinding[] | null> = {}): ContainerSummary {
  const ns = networkSettings(rec);
  const ports = summaryPorts(portMap);
  return {
    Id: rec.id,
    Names: [rec.name],
    Image: imageName,
    ImageID: rec.image,
    Command: [rec.path, ...rec.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' '),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: ports,
    Labels: rec.config.Labels ?? {},
    State: rec.state.Status,
    Status: statusLine(rec),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: ns.Networks },
    Mounts: inspectMounts(rec.mounts ?? []),
  };
}

export type ListFilters = Record<string, string[]>;

/** Parse Docker's `filters` query parameter: {"status":["running"]} or the legacy {"status":{"running":true}}. */
export function parseFilters(raw: string | null): ListFilters {
  if (!raw) return {};
  let v: unknown;
  try { v = JSON.parse(raw); } catch { throw invalidArgument(`invalid filter: ${raw}`); }
  if (typeof v !== 'object' || v === null) throw invalidArgument(`invalid filter: ${raw}`);
  const out: ListFilters = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    out[k] = Array.isArray(val) ? val.map(String) : typeof val === 'object' && val !== null ? Object.keys(val) : [String(val)];
  }
  return out;
}

const validStatus = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** Docker's container list filters (id, name, status, label, exited, ancestor, before, since, network, health, is-task). */
export function filterContainers(recs: ContainerRecord[], f: ListFilters, ctx: { imageMatches: (rec: ContainerRecord, ref: string) => boolean; resolve: (ref: string) => ContainerRecord | undefined }): ContainerRecord[] {
  for (const s of f.status ?? []) if (!validStatus.includes(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
  const before = f.before?.[0] ? ctx.resolve(f.before[0]) : undefined;
  const since = f.since?.[0] ? ctx.resolve(f.since[0]) : undefined;
  if (f.before?.[0] && !before) throw invalidArgument(`No such container: ${f.before[0]}`);
  if (f.since?.[0] && !since) throw invalidArgument(`No such container: ${f.since[0]}`);
  return recs.filter((r) => {
    if (f.id?.length && !f.id.some((p) => r.id.startsWith(p))) return false;
    if (f.name?.length && !f.name.some((n) => new RegExp(n.replace(/^\//, '')).test(r.name.slice(1)))) return false;
    if (f.status?.length && !f.status.includes(r.state.Status)) return false;
    if (f.exited?.length && !(r.state.Status === 'exited' && f.exited.includes(String(r.state.ExitCode)))) return false;
    if (f.label?.length) {
      const labels = r.config.Labels ?? {};
      for (const l of f.label) {
        const i = l.indexOf('=');
        if (i < 0 ? !(l in labels) : labels[l.slice(0, i)] !== l.slice(i + 1)) return false;
      }
    }
    if (f.ancestor?.length && !f.ancestor.some((a) => ctx.imageMatches(r, a))) return false;
    if (before && !(r.created < before.created)) return false;
    if (since && !(r.created > since.created)) return false;
    if (f.health?.length && !f.health.includes(r.state.Health?.Status ?? 'none')) return false;
    return true;
  });
}
