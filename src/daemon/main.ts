/**
 * berthd: reads its configuration, locks its data root, wires the subsystems together, reconciles with
 * what survived a restart, and serves the Docker Engine API. It knows no domain logic of its own.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig, cgroupParent, firewallTable, type DaemonConfig } from './config.js';
import { acquireLock, type Lock } from './lock.js';
import { parseDaemonArgs, USAGE } from './flags.js';
import { Router, createApiServer } from '../server/http.js';
import { containerRoutes } from '../server/routes/containers.js';
import { imageRoutes } from '../server/routes/images.js';
import { systemRoutes } from '../server/routes/system.js';
import { EventBus } from '../core/events.js';
import { ContainerStore } from '../containers/store.js';
import { ContainerService } from '../containers/service.js';
import { ExecService } from '../containers/exec.js';
import { HealthMonitor, goDuration } from '../containers/health.js';
import { ConmonRuntime, run } from '../runtime/conmon/index.js';
import { parseSignal, parseSize, listLogFiles } from './deps.js';
import { makeSpecBuilder } from '../containers/spec.js';
import { openImages } from './images.js';
import { reconcile } from './reconcile.js';
import { NetworkStore } from '../network/store.js';
import { NetworkService } from '../network/service.js';
import { Firewall } from '../network/nft/index.js';
import { DnsServer } from '../network/dns/index.js';
import { networkRoutes } from '../server/routes/networks.js';
import { volumeRoutes } from '../server/routes/volumes.js';
import { archiveRoutes } from '../server/routes/archive.js';
import { swarmRoutes, pluginRoutes } from '../server/routes/swarm.js';
import { distributionRoutes } from '../server/routes/distribution.js';
import { wsAttachRoutes } from '../server/routes/wsattach.js';
import type { ContainerFs } from '../containers/fs/index.js';
import { openVolumes } from './volumes.js';
import { loadRemappedRoot, setupRemappedRoot } from '../runtime/userns/index.js';
import { diskUsage } from './df.js';
import { openCgroups } from './cgroups.js';
import { emptyStats } from '../runtime/cgroups/index.js';
import { summaryView } from '../containers/views.js';
import { LogRotation } from './logrotate.js';
import { daemonLogConfig } from '../runtime/logs/index.js';

const VERSION = '0.1.0';

type Level = DaemonConfig['logLevel'];
const levels: Level[] = ['debug', 'info', 'warn', 'error', 'fatal'];

export async function startDaemon(cfg: DaemonConfig): Promise<{ stop(): Promise<void> }> {
  const lvl = levels.indexOf(cfg.logLevel);
  const log = (level: Level, msg: string) => {
    if (levels.indexOf(level) >= lvl) process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}\n`);
  };
  await fsp.mkdir(cfg.dataRoot, { recursive: true, mode: 0o710 });
  await fsp.mkdir(cfg.execRoot, { recursive: true, mode: 0o700 });
  const lock: Lock = await acquireLock(path.join(cfg.dataRoot, 'berthd.lock'));
  try {
    // userns-remap: containers, images, layers and volumes live in <data-root>/<uid>.<gid> (the lock, network
    // state and host-global names stay derived from the data root)
    const remap = cfg.usernsRemap ? await loadRemappedRoot(cfg.usernsRemap) : null;
    if (cfg.usernsRemap && !remap) log('warn', 'User namespaces: root cannot be remapped with itself; user namespaces are OFF');
    const stateRoot = remap ? await setupRemappedRoot(cfg.dataRoot, remap.root) : cfg.dataRoot;
    if (remap) log('info', `User namespaces: ID ranges will be mapped to subuid/subgid ranges of: ${remap.setting}`);
    const logDefaults = daemonLogConfig(cfg.extra['log-driver'], cfg.logOpts);
    const events = new EventBus();
    const store = await ContainerStore.open(path.join(stateRoot, 'containers'));
    const images = await openImages(stateRoot, store, cfg.registry, (m) => log('warn', m), events, remap?.mapping);
    const runtime = new ConmonRuntime({ runcRoot: path.join(cfg.execRoot, 'runc'), exitDir: path.join(cfg.execRoot, 'exits') });
    await runtime.init();
    const cgParent = cgroupParent(cfg.dataRoot);
    const spec = makeSpecBuilder({ cgroupParent: cgParent, idMap: remap?.mapping });
    const hostname = os.hostname();
    const hostResolvConf = () => fsp.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
    const networkStore = await NetworkStore.open(path.join(cfg.dataRoot, 'network'));
    let networks: NetworkService | undefined;
    const dns = new DnsServer({
      lookupA: (c, n) => networks?.resolver.lookupA(c, n), lookupPTR: (c, ip) => networks?.resolver.lookupPTR(c, ip),
      upstreams: (c) => networks?.resolver.upstreams(c) ?? [],
    }, { log: (m) => log('debug', m) });
    networks = new NetworkService({ table: firewallTable(cfg.dataRoot), defaultBridge: cfg.bridge, bip: cfg.bip, dns: cfg.dns, ...cfg.network }, {
      store: networkStore, containers: store, events, firewall: new Firewall({ log: (m) => log('debug', m) }), dns, hostResolvConf,
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
      store, images, rootfs: images.snapshotter, runtime, events, spec, execRoot: cfg.execRoot,
      host: {
        hosts: () => fsp.readFile('/etc/hosts', 'utf8').catch(() => ''),
        resolvConf: hostResolvConf,
        hostname: () => hostname,
      },
      network: {
        endpointsForCreate: (b) => net.endpointsForCreate(b),
        prepare: (rec) => net.prepare(rec),
        wire: (rec, pid) => net.wire(rec, pid),
        release: (rec) => net.release(rec),
      },
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

    runtime.watchExits((id) => void containers.handleExit(id));
    await reconcile({ store, runtime, containers, snapshotter: images.snapshotter, execRoot: cfg.execRoot, log: (m) => log('info', m) });
    await networks.resync();
    await volumes.restore();
    await containers.enableRestarts();

    const router = new Router();
    const [runcV, conmonV] = await Promise.all([
      run('/usr/sbin/runc', ['--version']).then((o) => /runc version (\S+)/.exec(o)?.[1] ?? '').catch(() => ''),
      run('/usr/bin/conmon', ['--version']).then((o) => /conmon version (\S+)/.exec(o)?.[1] ?? '').catch(() => ''),
    ]);
    const started = Date.now();
    systemRoutes(router, {
      events,
      df: () => diskUsage({
        images: () => images.api.summaries({ all: true, filters: {} }),
        layersOf: (id) => images.resolveImage(id).layers,
        layerSize: (l) => images.snapshotter.layerSize(l),
        containers: () => store.all(),
        summary: (rec) => summaryView(rec, images.displayName(rec.image, rec.config.Image ?? ''), net.portsOf(rec)),
        upperDir: (id) => images.snapshotter.upperDir(id),
        volumes: () => volumes.service.df(),
      }),
      info: {
        version: VERSION, dataRoot: stateRoot, execRoot: cfg.execRoot, runcVersion: runcV, conmonVersion: conmonV, userns: !!remap,
        cgroupVersion: readFileSync('/proc/self/mountinfo', 'utf8').includes(' /sys/fs/cgroup rw') && !readFileSync('/proc/self/mountinfo', 'utf8').includes('/sys/fs/cgroup/memory') ? '2' : '1',
        name: hostname, id: lock.id, started, logDriver: logDefaults.Type,
        counts: () => {
          const all = store.all();
          const running = all.filter((c) => c.state.Status === 'running').length;
          const paused = all.filter((c) => c.state.Status === 'paused').length;
          return { containers: all.length, running, paused, stopped: all.length - running - paused, images: images.count() };
        },
      },
    });
    containerRoutes(router, {
      containers, execs, store, runtime, parseSignal,
      imageName: (id, given) => images.displayName(id, given),
      imageMatches: (id, ref) => images.matches(id, ref),
      graphDriver: (id) => images.snapshotter.graphDriverData(id).Data ?? {},
      logFiles: (p, rec) => listLogFiles(p, rec ? rotation.maxFileOf(rec) : rotation.maxFile),
      portsOf: (rec) => net.portsOf(rec),
      stats: (c, prev) => cgroups.stats(c, prev as Parameters<typeof cgroups.stats>[1]),
      idleStats: (c) => ({ ...emptyStats(), name: c.name, id: c.id }),
      events,
    });
    wsAttachRoutes(router, { store, containers, logFiles: (p, rec) => listLogFiles(p, rec ? rotation.maxFileOf(rec) : rotation.maxFile) });
    networkRoutes(router, { networks: net, saveContainer: (rec) => store.save(rec) });
    distributionRoutes(router, images.api);
    imageRoutes(router, images.api);
    volumeRoutes(router, { volumes: volumes.service });
    swarmRoutes(router);
    pluginRoutes(router);
    // cp, export, diff and commit: loaded on first use, with their tar streams
    let containerFs: Promise<ContainerFs> | undefined;
    archiveRoutes(router, {
      fs: () => (containerFs ??= import('../containers/fs/index.js').then(({ ContainerFs, commitTarget }) => new ContainerFs({
        containers: { resolve: (r) => store.resolve(r), withRootfs: (r, fn) => containers.withRootfs(r, fn), pause: (r) => containers.pause(r), unpause: (r) => containers.unpause(r) },
        upperDir: (id) => images.snapshotter.upperDir(id), layerPath: (l) => images.snapshotter.layerPath(l),
        images: commitTarget(images.store), events, tmpDir: () => images.store.tmpDir(), idMap: remap?.mapping,
      }))),
    });

    const server = createApiServer(router, { log: (m) => log('error', m), serverHeader: `Berth/${VERSION} (linux)` });
    const sockets = cfg.hosts.map((h) => h.slice('unix://'.length));
    for (const sock of sockets) {
      await fsp.mkdir(path.dirname(sock), { recursive: true });
      await fsp.rm(sock, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(sock, () => { server.off('error', reject); resolve(); });
      });
      await fsp.chmod(sock, 0o660);
    }
    await fsp.writeFile(cfg.pidfile, `${process.pid}`);
    rotation.start();
    log('info', `berthd ${VERSION} serving on ${cfg.hosts.join(', ')} (data root ${cfg.dataRoot}, exec root ${cfg.execRoot})`);

    return {
      async stop() {
        rotation.stop();
        containers.close();
        health.close();
        runtime.close();
        await net.close();
        server.close();
        server.closeAllConnections();
        for (const s of sockets) await fsp.rm(s, { force: true });
        await fsp.rm(cfg.pidfile, { force: true });
        await lock.release();
        log('info', 'berthd stopped; running containers keep running');
      },
    };
  } catch (e) {
    await lock.release();
    throw e;
  }
}

export async function main(argv: string[]): Promise<void> {
  const parsed = parseDaemonArgs(argv.slice(2));
  if (parsed.kind === 'help') { process.stdout.write(USAGE); return; }
  if (parsed.kind === 'version') { process.stdout.write(`${VERSION}\n`); return; }
  const { flags, configFile } = parsed;
  let file: Record<string, unknown> | undefined;
  const text = await fsp.readFile(configFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' && !parsed.configFileGiven) return undefined;
    throw new Error(`unable to read configuration file ${configFile}: ${e.message}`);
  });
  if (text !== undefined) {
    try {
      file = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`unable to configure the daemon: invalid JSON in ${configFile}: ${(e as Error).message}`);
    }
  }
  const cfg = resolveConfig(flags, file, process.env);
  const daemon = await startDaemon(cfg);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void daemon.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('SIGPIPE', () => undefined);
}
