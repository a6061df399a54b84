/**
 * berthd: reads its configuration, locks its data root, wires the subsystems together, reconciles with
 * what survived a restart, and serves the Docker Engine API. It knows no domain logic of its own.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { resolveConfig, type DaemonConfig } from './config.js';
import { acquireLock, type Lock } from './lock.js';
import { parseDaemonArgs, USAGE } from './flags.js';
import { createApiServer } from '../server/http.js';
import { reconcile } from './reconcile.js';
import { loadRemappedRoot, setupRemappedRoot } from '../runtime/userns/index.js';
import { wireSubsystems } from './wire.js';
import { apiRouter } from './api.js';

const VERSION = '0.1.0';

type Level = DaemonConfig['logLevel'];
const levels: Level[] = ['debug', 'info', 'warn', 'error', 'fatal'];

export async function startDaemon(cfg: DaemonConfig): Promise<{ stop(): Promise<void> }> {
  const lvl = levels.indexOf(cfg.logLevel);
  const log = (level: Level, msg: string) => {
    if (levels.indexOf(level) >= lvl) process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}\n`);
  };
  await fsp.mkdir(cfg.dataRoot, { recursive: true, mode: 0o710 });
  // the lock comes before anything else is written: a daemon that loses it touches nothing
  const lock: Lock = await acquireLock(path.join(cfg.dataRoot, 'berthd.lock'), cfg.dataRoot);
  try {
    await fsp.mkdir(cfg.execRoot, { recursive: true, mode: 0o700 });
    // userns-remap: containers, images, layers and volumes live in <data-root>/<uid>.<gid> (the lock, network
    // state and host-global names stay derived from the data root)
    const remap = cfg.usernsRemap ? await loadRemappedRoot(cfg.usernsRemap) : null;
    if (cfg.usernsRemap && !remap) log('warn', 'User namespaces: root cannot be remapped with itself; user namespaces are OFF');
    const stateRoot = remap ? await setupRemappedRoot(cfg.dataRoot, remap.root) : cfg.dataRoot;
    if (remap) log('info', `User namespaces: ID ranges will be mapped to subuid/subgid ranges of: ${remap.setting}`);
    const sub = await wireSubsystems(cfg, stateRoot, log, remap ?? undefined);
    const { store, images, runtime, networks, volumes, containers, health, rotation } = sub;
    runtime.watchExits((id) => void containers.handleExit(id));
    await reconcile({ store, runtime, containers, snapshotter: images.snapshotter, execRoot: cfg.execRoot, log: (m) => log('info', m) });
    await networks.resync();
    await volumes.restore();
    await containers.enableRestarts();

    const router = await apiRouter(sub, { version: VERSION, dataRoot: stateRoot, execRoot: cfg.execRoot, userns: !!remap, id: lock.id });
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
        await networks.close();
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
