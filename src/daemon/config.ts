/**
 * Daemon configuration: dockerd's flag names, daemon.json with Docker's keys, flags winning over the
 * file (Docker refuses a key set in both; we do the same). Pure: the caller reads files and argv.
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../core/errors.js';
import { DEFAULT_POOLS, parsePools } from '../network/ipam.js';
import type { NetworkOptions } from '../network/service.js';
import { isIPv4, parseIfaceCidr } from '../core/ipnet.js';
import { parseRegistryConfig, type RegistryConfig } from '../registry/client/endpoints.js';
import type { ProxyConfig } from '../registry/client/http.js';
import { ramInBytes } from '../core/units.js';
import { DEFAULT_SHM_SIZE } from '../runtime/oci/generate.js';
import { resolveRuntimes, type RuntimesConfig } from './runtimes.js';

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  bridge: string;
  bip?: string;
  logOpts: Record<string, string>;
  dns: string[];
  network: NetworkOptions;
  registry: RegistryOptions;
  /** daemon.json `userns-remap`: "user[:group]", "uid[:gid]" or "default"; unset when containers keep the host's ids */
  usernsRemap?: string;
  /** daemon.json `default-ipc-mode` and `default-shm-size`: what a container gets when its create leaves them out */
  containerDefaults: { ipcMode: 'private' | 'shareable'; shmSize: number };
  /** daemon.json `runtimes` and `default-runtime`, `--add-runtime` and `--default-runtime` (runtimes.ts) */
  runtimes: RuntimesConfig;
  /** raw daemon.json keys not modelled yet (kept for the issues that use them) */
  extra: Record<string, unknown>;
}

export interface RegistryOptions extends RegistryConfig {
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
}

export const DEFAULTS = {
  host: 'unix:///run/berth/berth.sock',
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
};

/** Keys of daemon.json as Docker spells them, mapped to ours. */
const fileKeys: Record<string, keyof DaemonConfig> = {
  hosts: 'hosts', 'data-root': 'dataRoot', 'exec-root': 'execRoot', pidfile: 'pidfile', 'log-level': 'logLevel',
  bridge: 'bridge', bip: 'bip', 'log-opts': 'logOpts', dns: 'dns', 'userns-remap': 'usernsRemap',
};

export interface FlagValues {
  host?: string[];
  dataRoot?: string;
  execRoot?: string;
  pidfile?: string;
  logLevel?: string;
  bridge?: string;
  bip?: string;
  usernsRemap?: string;
  addRuntime?: string[];
  defaultRuntime?: string;
}

const flagNameOf: Record<string, string> = { hosts: 'host', dataRoot: 'data-root', execRoot: 'exec-root', pidfile: 'pidfile', logLevel: 'log-level', bridge: 'bridge', bip: 'bip', usernsRemap: 'userns-remap' };

export function resolveConfig(flags: FlagValues, file: Record<string, unknown> | undefined, env: Record<string, string | undefined> = {}): DaemonConfig {
  const fromFile: Partial<DaemonConfig> = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(file ?? {})) {
    const key = fileKeys[k];
    if (!key) { extra[k] = v; continue; }
    (fromFile as Record<string, unknown>)[key] = v;
  }
  const flagVals: Partial<DaemonConfig> = {
    hosts: flags.host?.length ? flags.host : undefined, dataRoot: flags.dataRoot, execRoot: flags.execRoot, pidfile: flags.pidfile,
    logLevel: flags.logLevel as DaemonConfig['logLevel'] | undefined, bridge: flags.bridge, bip: flags.bip, usernsRemap: flags.usernsRemap,
  };
  for (const [k, v] of Object.entries(flagVals)) {
    if (v !== undefined && (fromFile as Record<string, unknown>)[k] !== undefined) {
      throw invalidArgument(`the following directives are specified both as a flag and in the configuration file: ${flagNameOf[k]}: (from flag: ${String(v)}, from file: ${String((fromFile as Record<string, unknown>)[k])})`);
    }
  }
  const pick = <K extends keyof DaemonConfig>(k: K): DaemonConfig[K] | undefined => (flagVals[k] ?? fromFile[k]) as DaemonConfig[K] | undefined;
  const execRoot = pick('execRoot') ?? DEFAULTS.execRoot;
  const dataRoot = pick('dataRoot') ?? DEFAULTS.dataRoot;
  const logLevel = pick('logLevel') ?? 'info';
  if (!['debug', 'info', 'warn', 'error', 'fatal'].includes(logLevel)) throw invalidArgument(`unable to parse logging level: ${logLevel}`);
  for (const [k, v] of [['data-root', dataRoot], ['exec-root', execRoot]]) if (!v.startsWith('/')) throw invalidArgument(`${k} must be an absolute path: ${v}`);
  const hosts = pick('hosts') ?? [DEFAULTS.host];
  for (const h of hosts) if (!h.startsWith('unix://')) throw invalidArgument(`only unix sockets are supported for -H: ${h}`);
  const flag = (k: string, dflt: boolean): boolean => {
    const v = extra[k];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') throw invalidArgument(`invalid value for ${k}: ${JSON.stringify(v)} (want true or false)`);
    return v;
  };
  const mtu = extra.mtu ?? 1500;
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw invalidArgument(`invalid value for mtu: ${JSON.stringify(mtu)}`);
  const bip = pick('bip');
  if (bip !== undefined) parseIfaceCidr(bip);
  const dns = (pick('dns') as string[] | undefined) ?? [];
  for (const s of dns) if (!isIPv4(s)) throw invalidArgument(`${s} is not an ip address`);
  const network = {
    pools: extra['default-address-pools'] !== undefined ? parsePools(extra['default-address-pools']) : DEFAULT_POOLS,
    mtu,
    icc: flag('icc', true),
    ipForward: flag('ip-forward', true),
    ipMasq: flag('ip-masq', true),
    // Berth's default: published ports reach 127.0.0.1 through the kernel (route_localnet), see README
    userlandProxy: flag('userland-proxy', false),
  };
  const count = (k: string, dflt: number): number => {
    const v = extra[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw invalidArgument(`invalid ${k}: ${JSON.stringify(v)} (want a positive integer)`);
    return v;
  };
  const registry: RegistryOptions = {
    ...parseRegistryConfig(extra['registry-mirrors'], extra['insecure-registries']),
    ...proxyConfig(extra.proxies, env),
    maxConcurrentDownloads: count('max-concurrent-downloads', 3),
    maxConcurrentUploads: count('max-concurrent-uploads', 5),
  };
  const runtimes = resolveRuntimes({ fileRuntimes: extra.runtimes, flagRuntimes: flags.addRuntime, fileDefault: extra['default-runtime'], flagDefault: flags.defaultRuntime });
  delete extra.runtimes;
  delete extra['default-runtime'];
  const containerDefaults = { ipcMode: defaultIpcMode(extra['default-ipc-mode']), shmSize: defaultShmSize(extra['default-shm-size']) };
  const remap: unknown = pick('usernsRemap');
  if (remap !== undefined && typeof remap !== 'string') throw invalidArgument(`invalid value for userns-remap: ${JSON.stringify(remap)} (want a string)`);
  return {
    hosts, dataRoot, execRoot, logLevel, network, registry,
    pidfile: pick('pidfile') ?? `${execRoot}/berthd.pid`,
    bridge: pick('bridge') ?? 'berth0',
    bip,
    logOpts: (pick('logOpts') as Record<string, string> | undefined) ?? {},
    dns,
    ...(remap ? { usernsRemap: remap } : {}),
    containerDefaults,
    runtimes,
    extra,
  };
}

/** dockerd's verifyDefaultIpcMode: a valid IPC mode, and private or shareable at that. */
function defaultIpcMode(v: unknown): 'private' | 'shareable' {
  if (v === undefined || v === '') return 'private';
  const hint = 'use "shareable" or "private"';
  const m = String(v);
  const valid = typeof v === 'string' && (['private', 'none', 'shareable', 'host'].includes(m) || /^container:.+/.test(m));
  if (!valid) throw invalidArgument(`default IPC mode setting (${m}) is invalid; ${hint}`);
  if (m !== 'private' && m !== 'shareable') throw invalidArgument(`IPC mode "${m}" is not supported as default value; ${hint}`);
  return m;
}

/** `default-shm-size`: a size ("64M", go-units) or a number of bytes, more than 0. */
function defaultShmSize(v: unknown): number {
  if (v === undefined) return DEFAULT_SHM_SIZE;
  let n = Number.NaN;
  try {
    n = typeof v === 'number' ? v : typeof v === 'string' ? ramInBytes(v) : Number.NaN;
  } catch {
    /* reported below */
  }
  if (!Number.isInteger(n) || n <= 0) throw invalidArgument(`invalid default-shm-size: ${JSON.stringify(v)}`);
  return n;
}

/**
 * The name of this daemon's cgroup parent: `berth` for the default data root, otherwise derived from
 * the data root, so that daemons side by side never share one.
 */
export function cgroupParent(dataRoot: string): string {
  return dataRoot === DEFAULTS.dataRoot ? 'berth' : `berth-${createHash('sha256').update(dataRoot).digest('hex').slice(0, 10)}`;
}

/** The name of this daemon's nftables tables: `berth`, or `berth_<hash of data-root>` beside others. */
export function firewallTable(dataRoot: string): string {
  return dataRoot === DEFAULTS.dataRoot ? 'berth' : `berth_${createHash('sha256').update(dataRoot).digest('hex').slice(0, 10)}`;
}

/** daemon.json `proxies` ({"http-proxy","https-proxy","no-proxy"}) over HTTP_PROXY/HTTPS_PROXY/NO_PROXY, as dockerd. */
function proxyConfig(v: unknown, env: Record<string, string | undefined>): { proxy?: ProxyConfig } {
  if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) throw invalidArgument('proxies must be an object');
  const o = (v ?? {}) as Record<string, unknown>;
  for (const [k, x] of Object.entries(o)) {
    if (!['http-proxy', 'https-proxy', 'no-proxy'].includes(k)) throw invalidArgument(`unknown key in proxies: ${k}`);
    if (typeof x !== 'string') throw invalidArgument(`proxies.${k} must be a string`);
  }
  const pick = (key: string, name: string) => (o[key] as string | undefined) ?? env[name] ?? env[name.toLowerCase()];
  const proxy: ProxyConfig = {};
  const http = pick('http-proxy', 'HTTP_PROXY');
  const https = pick('https-proxy', 'HTTPS_PROXY');
  const no = pick('no-proxy', 'NO_PROXY');
  if (http) proxy.http = http;
  if (https) proxy.https = https;
  if (no) proxy.noProxy = no;
  return proxy.http || proxy.https ? { proxy } : {};
}

/**
 * Node flags berthd runs with (bin/berthd's shebang): a 1 MB young generation, which keeps an idle daemon
 * about 15 MB smaller after its first requests at no measurable cost to pulls and runs, and V8's
 * --optimize-for-size (a smaller old generation and code), which kept a daemon with 20 running containers
 * about 7 MB smaller (anonymous memory 28 -> 21 MB) with the same CPU time per `run --rm` (bench/README.md);
 * and gc() for one full collection when idle after a build (idlegc.ts).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--optimize-for-size', '--expose-gc'];

/**
 * Environment berthd runs with (bin/berthd's shebang too): glibc's malloc serves blocks of 64 KiB and more
 * (the socket's reads, file chunks) with their own mappings, given back when freed, where its heap kept
 * them, and keeps one arena for all the daemon's threads (libuv's pool, V8's helpers) instead of one
 * each: a daemon that received a 500 MB build context after a series of builds peaked at 100 MB, 92-97
 * with the first setting and 91.5 with both (bench/README.md, session 9), with no CPU cost measured.
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536:glibc.malloc.arena_max=1' };
