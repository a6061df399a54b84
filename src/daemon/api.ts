/** The Engine API's routes over the wired subsystems (src/server/routes translate HTTP to their calls). */
import { readFileSync } from 'node:fs';
import { Router } from '../server/http.js';
import { containerRoutes } from '../server/routes/containers.js';
import { imageRoutes } from '../server/routes/images.js';
import { systemRoutes } from '../server/routes/system.js';
import { networkRoutes } from '../server/routes/networks.js';
import { volumeRoutes } from '../server/routes/volumes.js';
import { archiveRoutes } from '../server/routes/archive.js';
import { swarmRoutes, pluginRoutes } from '../server/routes/swarm.js';
import { distributionRoutes } from '../server/routes/distribution.js';
import { wsAttachRoutes } from '../server/routes/wsattach.js';
import { registryLookups } from './images.js';
import type { ContainerFs } from '../containers/fs/index.js';
import { ContainerReports } from '../containers/reports.js';
import { summaryView } from '../containers/views.js';
import { output } from '../host/index.js';
import { parseSignal } from '../runtime/oci/index.js';
import { listLogFiles } from '../runtime/logs/index.js';
import { emptyStats } from '../runtime/cgroups/index.js';
import { diskUsage } from './df.js';
import type { Subsystems } from './wire.js';
import { openBuilder } from './build.js';
import { buildRoutes } from '../server/routes/build.js';

export interface DaemonIdentity {
  version: string;
  dataRoot: string;
  execRoot: string;
  userns: boolean;
  /** the daemon's ID (kept in its lock file) */
  id: string;
  /** daemon.json `builder` (builder.gc) */
  builder?: unknown;
}

/** the version a program prints with --version, or '' */
const versionOf = (bin: string, re: RegExp) => output(bin, ['--version']).then((o) => re.exec(o)?.[1] ?? '', () => '');

export async function apiRouter(s: Subsystems, me: DaemonIdentity): Promise<Router> {
  const { events, store, images, runtime, networks: net, volumes, cgroups, containers, execs, rotation, hostname } = s;
  const stateRoot = me.dataRoot;
  const router = new Router();
  const runcV = s.runtimes.versions.runc ?? '';
  const conmonV = await versionOf('/usr/bin/conmon', /conmon version (\S+)/);
  const started = Date.now();
  // cp, export, diff and commit (and the builder's steps): loaded on first use, with their tar streams
  let containerFs: Promise<ContainerFs> | undefined;
  const fs = () => (containerFs ??= import('../containers/fs/index.js').then(({ ContainerFs, commitTarget }) => new ContainerFs({
    containers: { resolve: (r) => store.resolve(r), withRootfs: (r, fn, o) => containers.withRootfs(r, fn, o), pause: (r) => containers.pause(r), unpause: (r) => containers.unpause(r) },
    upperDir: (id) => images.snapshotter.upperDir(id), layerPath: (l) => images.snapshotter.layerPath(l),
    images: commitTarget(images.store), events, tmpDir: () => images.store.tmpDir(), idMap: s.idMap,
  })));
  const builder = openBuilder({ dataRoot: stateRoot, store, containers, fs, images, events, config: me.builder, idMapped: !!s.idMap });
  systemRoutes(router, {
    events,
    df: async () => ({ ...(await diskUsage({
      images: () => images.summaries({ all: true, filters: {} }),
      layersOf: (id) => images.resolveImage(id).layers,
      layerSize: (l) => images.snapshotter.layerSize(l),
      containers: () => store.all(),
      summary: (rec) => summaryView(rec, images.displayName(rec.image, rec.config.Image ?? ''), net.portsOf(rec)),
      upperDir: (id) => images.snapshotter.upperDir(id),
      volumes: () => volumes.service.df(),
    })), BuildCache: await builder.buildCache() }),
    info: {
      version: me.version, dataRoot: stateRoot, execRoot: me.execRoot, runcVersion: runcV, conmonVersion: conmonV, userns: me.userns,
      runtimes: s.runtimes.reports, defaultRuntime: s.runtimes.defaultName, runtimeVersions: s.runtimes.versions,
      cgroupVersion: readFileSync('/proc/self/mountinfo', 'utf8').includes(' /sys/fs/cgroup rw') && !readFileSync('/proc/self/mountinfo', 'utf8').includes('/sys/fs/cgroup/memory') ? '2' : '1',
      name: hostname, id: me.id, started, warnings: () => net.warnings(), logDriver: s.logDefaults.Type,
      counts: () => {
        const all = store.all();
        const running = all.filter((c) => c.state.Status === 'running').length;
        const paused = all.filter((c) => c.state.Status === 'paused').length;
        return { containers: all.length, running, paused, stopped: all.length - running - paused, images: images.count() };
      },
    },
  });
  const reports = new ContainerReports({
    store, pids: (id) => runtime.processes(id), events,
    stats: (c, prev) => cgroups.stats(c, prev as Parameters<typeof cgroups.stats>[1]),
    idleStats: (c) => ({ ...emptyStats(), name: c.name, id: c.id }),
    upperDir: (id) => images.snapshotter.graphDriverData(id).Data?.UpperDir,
    remove: async (id) => {
      await containers.remove(id, { force: false, volumes: false });
      execs.forget(id);
    },
  });
  containerRoutes(router, {
    containers, execs, store, parseSignal, reports,
    imageName: (id, given) => images.displayName(id, given),
    imageMatches: (id, ref) => images.matches(id, ref),
    graphDriver: (id) => images.snapshotter.graphDriverData(id).Data ?? {},
    logFiles: (p, rec) => listLogFiles(p, rec ? rotation.maxFileOf(rec) : rotation.maxFile),
    portsOf: (rec) => net.portsOf(rec),
  });
  wsAttachRoutes(router, { store, containers, logFiles: (p, rec) => listLogFiles(p, rec ? rotation.maxFileOf(rec) : rotation.maxFile) });
  networkRoutes(router, { networks: net, containers });
  distributionRoutes(router, registryLookups(s.registryOptions));
  imageRoutes(router, images);
  volumeRoutes(router, { volumes: volumes.service });
  archiveRoutes(router, { fs });
  buildRoutes(router, builder.api);
  swarmRoutes(router);
  pluginRoutes(router);
  return router;
}
