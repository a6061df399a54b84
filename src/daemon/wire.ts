/**
 * The wiring: each subsystem opened on its folder of the data root and given the narrow views of the
 * others that it needs. No logic of its own.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventBus } from '../core/events.js';
import type { RemappedRoot } from '../runtime/userns/index.js';
import { ContainerStore } from '../containers/store.js';
import { ContainerService } from '../containers/service.js';
import { ExecService } from '../containers/exec.js';
import { HealthMonitor, goDuration } from '../containers/health.js';
import { makeSpecBuilder } from '../containers/spec.js';
import { openRuntimes } from '../runtime/select.js';
import type { Runtime } from '../runtime/runtime.js';
import { parseSize, daemonLogConfig } from '../runtime/logs/index.js';
import { NetworkStore } from '../network/store.js';
import { NetworkService } from '../network/service.js';
import { Firewall, HostFirewall } from '../network/nft/index.js';
import { DnsServer } from '../network/dns/index.js';
import { netDaemon } from '../host/netd.js';
import { cgroupParent, firewallTable, type DaemonConfig } from './config.js';
import { openImages } from './images.js';
import { openVolumes } from './volumes.js';
import { openCgroups } from './cgroups.js';
import { LogRotation } from './logrotate.js';

export type Logger = (level: DaemonConfig['logLevel'], msg: string) => void;

/** Everything the daemon serves, wired together. */
export type Subsystems = Awaited<ReturnType<typeof wireSubsystems>>;

/** Opens and wires the subsystems; `stateRoot` is the data root, or its remapped root under userns-remap. */
export async function wireSubsystems(cfg: DaemonConfig, stateRoot: string, log: Logger, remap?: RemappedRoot) {
  const idMap = remap?.mapping;
  // daemon.json log-driver / log-opts, checked as dockerd does at start
  const logDefaults = daemonLogConfig(cfg.extra['log-driver'], cfg.logOpts);
  const events = new EventBus();
  const store = await ContainerStore.open(path.join(stateRoot, 'containers'));
  const images = await openImages(stateRoot, store, cfg.registry, (m) => log('warn', m), events, idMap);
  // runc, crun and the configured runtimes; each container runs on the one its record names
  const runtimes = await openRuntimes({
    runtimes: cfg.runtimes.runtimes, defaultRuntime: cfg.runtimes.defaultRuntime, execRoot: cfg.execRoot, exitDir: path.join(cfg.execRoot, 'exits'),
    runtimeOf: (id) => { const r = store.get(id); return r ? (r.hostConfig.Runtime ?? '') : undefined; },
  });
  log('info', `default runtime ${runtimes.defaultName}: ${runtimes.reason}`);
  const runtime: Runtime = runtimes.runtime;
  const cgParent = cgroupParent(cfg.dataRoot);
  const spec = makeSpecBuilder({ cgroupParent: cgParent, idMap, adaptForRuntime: (name, sp) => runtimes.runtime.adaptSpec(name, sp) });
  const hostname = os.hostname();
  const hostResolvConf = () => fsp.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const networkStore = await NetworkStore.open(path.join(cfg.dataRoot, 'network'));
  let networks: NetworkService | undefined;
  const dns = new DnsServer({
    lookupA: (c, n) => networks?.resolver.lookupA(c, n), lookupPTR: (c, ip) => networks?.resolver.lookupPTR(c, ip),
    upstreams: (c) => networks?.resolver.upstreams(c) ?? [],
  }, { log: (m) => log('debug', m) });
  networks = new NetworkService({ table: firewallTable(cfg.dataRoot), defaultBridge: cfg.bridge, bip: cfg.bip, dns: cfg.dns, ...cfg.network }, {
    store: networkStore, containers: store, events, dns, hostResolvConf,
    firewall: new Firewall({ log: (m) => log('debug', m), netd: netDaemon(), host: new HostFirewall({ table: firewallTable(cfg.dataRoot), log: (m) => log('info', m) }) }),
    log: (m) => log('warn', m),
  });
  await networks.init();
  const net = networks;
  const cgroups = await openCgroups(runtime, cgParent);
  const volumes = await openVolumes(stateRoot, store, events, (m) => log('warn', m), remap?.root);
  const health: HealthMonitor = new HealthMonitor({
    exec: (id, cmd, ms) => execs.probe(id, cmd, ms, `Health check exceeded timeout (${goDuration(ms)})`),
    status: (id) => {
      const r = store.get(id);
      return r && (r.state.Status === 'running' || r.state.Status === 'paused') ? { status: r.state.Status, startedAt: Date.parse(r.state.StartedAt) } : undefined;
    },
    record: async (id, h): Promise<typeof h.Status | undefined> => (await containers.recordHealth(id, h)) as typeof h.Status | undefined,
    changed: (id, status) => containers.publishHealth(id, status),
    current: (id) => store.get(id)?.state.Health,
    log: (m) => log('warn', m),
  });
  const containers: ContainerService = new ContainerService({
    store, images, rootfs: images.snapshotter, runtime, runtimes: runtimes.runtime, events, spec, execRoot: cfg.execRoot,
    host: {
      hosts: () => fsp.readFile('/etc/hosts', 'utf8').catch(() => ''),
      resolvConf: hostResolvConf,
      hostname: () => hostname,
    },
    network: net,
    volumes: volumes.forContainers,
    cgroups: cgroups.forContainers,
    health,
    namespaceDefaults: cfg.containerDefaults,
    logDefaults,
    log: (m) => log('warn', m),
  });
  const execs = new ExecService({
    store, runtime, events, execRoot: cfg.execRoot,
    buildProcess: async (rec, body) => spec.execProcess(rec, body, images.snapshotter.mergedDir(rec.id)),
  });
  const rotation = new LogRotation(runtime, containers, {
    maxSize: cfg.logOpts['max-size'] ? parseSize(cfg.logOpts['max-size']) : 0,
    maxFile: Number(cfg.logOpts['max-file'] ?? '1'),
  });
  return { events, store, images, runtime, runtimes, networks: net, volumes, cgroups, health, containers, execs, rotation, spec, hostname, idMap, logDefaults, registryOptions: cfg.registry };
}
