/**
 * `run`/`create` flags to the POST /containers/create body, field by field as docker/cli's
 * `parse.go` does it (checked against the bodies docker 28 sends). Pure: the environment, files and the
 * terminal size come in through RunContext.
 */
import type { ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, LogConfig } from '../../api/types.js';
import { expandEnv, kvMap, kvMapStrict, normalizeCaps, parseDevice, parseEnvFileText, parseRestart, parseTmpfs, parseUlimit, type EnvLookup } from './kv.js';
import { parseMount, parseVolumes } from './mounts.js';
import { parsePorts } from './ports.js';
import { parseBytes, parseCpus, parseDuration, parseIntFlag, parseSwap } from './units.js';

/** The run/create flags, as commander hands them over (camelCase of the long flag). */
export interface RunFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  name?: string;
  rm?: boolean;
  env?: string[];
  envFile?: string[];
  user?: string;
  workdir?: string;
  entrypoint?: string;
  hostname?: string;
  domainname?: string;
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  network?: string;
  net?: string;
  networkAlias?: string[];
  netAlias?: string[];
  publish?: string[];
  publishAll?: boolean;
  expose?: string[];
  label?: string[];
  labelFile?: string[];
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  readOnly?: boolean;
  restart?: string;
  stopSignal?: string;
  stopTimeout?: string;
  init?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  securityOpt?: string[];
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpus?: string;
  cpuShares?: string;
  cpusetCpus?: string;
  pidsLimit?: string;
  ulimit?: string[];
  sysctl?: string[];
  shmSize?: string;
  logDriver?: string;
  logOpt?: string[];
  platform?: string;
  pull?: string;
  detachKeys?: string;
  sigProxy?: boolean;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  /** false when --no-healthcheck was given (commander's negation) */
  healthcheck?: boolean;
  ipc?: string;
  pid?: string;
  uts?: string;
  userns?: string;
  cgroupns?: string;
  cgroupParent?: string;
  device?: string[];
  deviceCgroupRule?: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
  link?: string[];
  volumesFrom?: string[];
  groupAdd?: string[];
  oomScoreAdj?: string;
  oomKillDisable?: boolean;
  blkioWeight?: string;
  cidfile?: string;
  attach?: string[];
  runtime?: string;
  stopSignalDefault?: string;
}

export interface RunContext {
  lookupEnv: EnvLookup;
  readFile: (path: string) => string;
  cwd: string;
  /** [rows, cols] of the local terminal when stdout is one */
  ttySize?: [number, number];
  /** true for `run`, false for `create` */
  run: boolean;
}

export interface CreateRequest {
  name?: string;
  platform?: string;
  body: ContainerCreateBody;
}

const nonEmpty = <T>(a: T[] | undefined): T[] | undefined => (a && a.length > 0 ? a : undefined);

function flagError(flag: string, value: string, err: unknown): Error {
  return new Error(`invalid argument "${value}" for "${flag}" flag: ${(err as Error).message}`);
}

function parseWith<T>(flag: string, value: string | undefined, fn: (s: string) => T): T | undefined {
  if (value === undefined) return undefined;
  try {
    return fn(value);
  } catch (err) {
    throw flagError(flag, value, err);
  }
}

/** Image reference with the default tag, as docker prints it in "Unable to find image". */
export function normalizeImageRef(image: string): string {
  if (image.includes('@')) return image;
  const slash = image.lastIndexOf('/');
  return image.slice(slash + 1).includes(':') ? image : `${image}:latest`;
}

export function buildCreateRequest(flags: RunFlags, image: string, args: readonly string[], ctx: RunContext): CreateRequest {
  const detach = ctx.run ? flags.detach === true : true;

  // --- attach streams
  let attachStdin = false;
  let attachStdout = false;
  let attachStderr = false;
  if (flags.attach && flags.attach.length > 0) {
    if (ctx.run && flags.detach) throw new Error('conflicting options: cannot specify both --attach and --detach');
    for (const a of flags.attach) {
      const s = a.toLowerCase();
      if (s === 'stdin') attachStdin = true;
      else if (s === 'stdout') attachStdout = true;
      else if (s === 'stderr') attachStderr = true;
      else throw new Error(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
    }
  } else if (!(ctx.run && flags.detach)) {
    attachStdout = true;
    attachStderr = true;
  }
  if (flags.interactive && !(ctx.run && flags.detach)) attachStdin = true;
  void detach;

  // --- env, labels
  const env: string[] = [];
  for (const f of flags.envFile ?? []) env.push(...parseEnvFileText(ctx.readFile(f), f, ctx.lookupEnv));
  for (const e of flags.env ?? []) env.push(expandEnv(e, ctx.lookupEnv));
  const labelList: string[] = [];
  for (const f of flags.labelFile ?? []) labelList.push(...parseEnvFileText(ctx.readFile(f), f, ctx.lookupEnv));
  labelList.push(...(flags.label ?? []));
  const labels = kvMap(labelList);

  // --- ports, volumes, mounts
  const ports = parsePorts(flags.publish ?? [], flags.expose ?? []);
  const vols = parseVolumes(flags.volume ?? [], ctx.cwd);
  const mounts = (flags.mount ?? []).map((m) => parseWith('--mount', m, parseMount) as NonNullable<ReturnType<typeof parseMount>>);

  // --- healthcheck
  let health: HealthConfig | undefined;
  const healthTouched =
    flags.healthCmd !== undefined ||
    flags.healthInterval !== undefined ||
    flags.healthTimeout !== undefined ||
    flags.healthRetries !== undefined ||
    flags.healthStartPeriod !== undefined ||
    flags.healthStartInterval !== undefined;
  if (flags.healthcheck === false) {
    if (healthTouched) throw new Error('--no-healthcheck conflicts with --health-* options');
    health = { Test: ['NONE'] };
  } else if (healthTouched) {
    health = {};
    if (flags.healthCmd !== undefined && flags.healthCmd !== '') health.Test = ['CMD-SHELL', flags.healthCmd];
    const dur = (flag: string, v: string | undefined, name: string): number | undefined => {
      const n = parseWith(flag, v, parseDuration);
      if (n !== undefined && n < 0) throw new Error(`${name} cannot be negative`);
      return n;
    };
    const interval = dur('--health-interval', flags.healthInterval, '--health-interval');
    const timeout = dur('--health-timeout', flags.healthTimeout, '--health-timeout');
    const start = dur('--health-start-period', flags.healthStartPeriod, '--health-start-period');
    const startInterval = dur('--health-start-interval', flags.healthStartInterval, '--health-start-interval');
    const retries = parseWith('--health-retries', flags.healthRetries, parseIntFlag);
    if (interval !== undefined) health.Interval = interval;
    if (timeout !== undefined) health.Timeout = timeout;
    if (start !== undefined) health.StartPeriod = start;
    if (startInterval !== undefined) health.StartInterval = startInterval;
    if (retries !== undefined) {
      if (retries < 0) throw new Error('--health-retries cannot be negative');
      health.Retries = retries;
    }
  }

  // --- restart / rm
  const restart = parseWith('--restart', flags.restart, parseRestart) ?? { Name: 'no' as const };
  if (flags.rm && restart.Name !== 'no' && restart.Name !== '') throw new Error('conflicting options: cannot specify both --restart and --rm');

  // --- network
  const networkMode = flags.network ?? flags.net ?? 'default';
  const isUserDefined = !['default', 'bridge', 'host', 'none'].includes(networkMode) && !networkMode.startsWith('container:');
  const ep: EndpointSettings = {};
  const aliases = [...(flags.networkAlias ?? []), ...(flags.netAlias ?? [])];
  if (aliases.length > 0) {
    if (!isUserDefined) throw new Error('network-scoped aliases are only supported for user-defined networks');
    ep.Aliases = aliases;
  }
  if (flags.ip || flags.ip6) {
    ep.IPAMConfig = {};
    if (flags.ip) ep.IPAMConfig.IPv4Address = flags.ip;
    if (flags.ip6) ep.IPAMConfig.IPv6Address = flags.ip6;
  }
  if (flags.macAddress) ep.MacAddress = flags.macAddress;
  if (isUserDefined && flags.link && flags.link.length > 0) ep.Links = flags.link;

  // --- log config
  const logConfig: LogConfig | undefined =
    flags.logDriver !== undefined || (flags.logOpt && flags.logOpt.length > 0)
      ? { Type: flags.logDriver ?? '', Config: kvMapStrict(flags.logOpt ?? [], 'log-opt') }
      : undefined;

  const hc: HostConfig = {
    Binds: nonEmpty(vols.binds),
    ContainerIDFile: flags.cidfile || undefined,
    LogConfig: logConfig,
    NetworkMode: networkMode,
    PortBindings: Object.keys(ports.bindings).length > 0 ? ports.bindings : undefined,
    RestartPolicy: restart,
    AutoRemove: flags.rm || undefined,
    VolumesFrom: nonEmpty(flags.volumesFrom),
    CapAdd: flags.capAdd && flags.capAdd.length > 0 ? normalizeCaps(flags.capAdd) : undefined,
    CapDrop: flags.capDrop && flags.capDrop.length > 0 ? normalizeCaps(flags.capDrop) : undefined,
    CgroupnsMode: flags.cgroupns || undefined,
    Dns: nonEmpty(flags.dns),
    DnsOptions: nonEmpty(flags.dnsOption),
    DnsSearch: nonEmpty(flags.dnsSearch),
    ExtraHosts: nonEmpty(flags.addHost),
    GroupAdd: nonEmpty(flags.groupAdd),
    IpcMode: flags.ipc || undefined,
    Links: nonEmpty(flags.link),
    OomScoreAdj: parseWith('--oom-score-adj', flags.oomScoreAdj, parseIntFlag) || undefined,
    PidMode: flags.pid || undefined,
    Privileged: flags.privileged || undefined,
    PublishAllPorts: flags.publishAll || undefined,
    ReadonlyRootfs: flags.readOnly || undefined,
    SecurityOpt: nonEmpty(flags.securityOpt),
    Tmpfs: flags.tmpfs && flags.tmpfs.length > 0 ? parseTmpfs(flags.tmpfs) : undefined,
    UTSMode: flags.uts || undefined,
    UsernsMode: flags.userns || undefined,
    ShmSize: parseWith('--shm-size', flags.shmSize, parseBytes) || undefined,
    Sysctls: flags.sysctl && flags.sysctl.length > 0 ? kvMapStrict(flags.sysctl, 'sysctl') : undefined,
    Runtime: flags.runtime || undefined,
    Init: flags.init ? true : undefined,
    ConsoleSize: flags.tty && ctx.ttySize ? ctx.ttySize : [0, 0],
    CgroupParent: flags.cgroupParent || undefined,
    CpuShares: parseWith('-c, --cpu-shares', flags.cpuShares, parseIntFlag) || undefined,
    Memory: parseWith('-m, --memory', flags.memory, parseBytes) || undefined,
    NanoCpus: parseWith('--cpus', flags.cpus, parseCpus) || undefined,
    BlkioWeight: parseWith('--blkio-weight', flags.blkioWeight, parseIntFlag) || undefined,
    CpusetCpus: flags.cpusetCpus || undefined,
    MemoryReservation: parseWith('--memory-reservation', flags.memoryReservation, parseBytes) || undefined,
    MemorySwap: parseWith('--memory-swap', flags.memorySwap, parseSwap) || undefined,
    MemorySwappiness: -1,
    OomKillDisable: flags.oomKillDisable || undefined,
    PidsLimit: parseWith('--pids-limit', flags.pidsLimit, parseIntFlag) || undefined,
    Ulimits: flags.ulimit && flags.ulimit.length > 0 ? flags.ulimit.map((u) => parseWith('--ulimit', u, parseUlimit) as NonNullable<ReturnType<typeof parseUlimit>>) : undefined,
    Devices: flags.device && flags.device.length > 0 ? flags.device.map((d) => parseWith('--device', d, parseDevice)) : undefined,
    // checked by the daemon, as docker leaves it
    DeviceCgroupRules: flags.deviceCgroupRule && flags.deviceCgroupRule.length > 0 ? [...flags.deviceCgroupRule] : undefined,
    Mounts: mounts.length > 0 ? mounts : undefined,
  };

  let stopTimeout: number | undefined;
  if (flags.stopTimeout !== undefined) stopTimeout = parseWith('--stop-timeout', flags.stopTimeout, parseIntFlag);

  let entrypoint: string[] | undefined;
  if (flags.entrypoint !== undefined) entrypoint = [flags.entrypoint];

  const body: ContainerCreateBody = {
    Hostname: flags.hostname || undefined,
    Domainname: flags.domainname || undefined,
    User: flags.user || undefined,
    AttachStdin: attachStdin || undefined,
    AttachStdout: attachStdout || undefined,
    AttachStderr: attachStderr || undefined,
    ExposedPorts: Object.keys(ports.exposed).length > 0 ? ports.exposed : undefined,
    Tty: flags.tty || undefined,
    OpenStdin: flags.interactive || undefined,
    StdinOnce: (flags.interactive && attachStdin) || undefined,
    Env: nonEmpty(env),
    Cmd: args.length > 0 ? [...args] : undefined,
    Healthcheck: health,
    Image: image,
    Volumes: Object.keys(vols.volumes).length > 0 ? vols.volumes : undefined,
    WorkingDir: flags.workdir || undefined,
    Entrypoint: entrypoint,
    Labels: labels,
    StopSignal: flags.stopSignal || undefined,
    StopTimeout: stopTimeout,
    HostConfig: dropUndefined(hc),
    // docker sends the endpoint of the implicit default network, and that of an explicit network only
    // when it carries settings
    NetworkingConfig: {
      EndpointsConfig: flags.network === undefined && flags.net === undefined ? { [networkMode]: ep } : Object.keys(ep).length > 0 ? { [networkMode]: ep } : {},
    },
  };
  return { name: flags.name || undefined, platform: flags.platform || undefined, body: dropUndefined(body) };
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
