/**
 * ContainerService: the container lifecycle on top of a store, a rootfs provider and the runtime.
 * Each operation: resolve the container, check the transition (state.ts), do the work, persist, publish.
 *
 *   create -> created --start--> running --(exit)--> exited --start--> running ...
 *                                   \--stop/kill--> (exit)          rm (any stopped state; -f kills first)
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ContainerState, EndpointSettings } from '../api/types.js';
import { BerthError, conflict, invalidArgument, isKind, unavailable } from '../core/errors.js';
import { validContainerName } from '../core/ids.js';
import { KeyedLock } from '../host/lock.js';
import { parseNetworkMode } from '../network/files.js';
import { checkKill, checkRemove, checkStart, checkStop, isActive, checkAttach, checkPause, checkUnpause } from './state.js';
import { wantsRestart } from './restart.js';
import { RestartSupervisor } from './restarts.js';
import { parseWaitCondition, Waiters, type WaitResult } from './waiters.js';
import { initialHealth, probeOf } from './health.js';
import { eventAttributes, type ContainerRecord } from './record.js';
import { newRecord } from './create.js';
import { planUpdate } from './update.js';
import { startFailure } from './starterr.js';
import { planNamespaces, ShmMounts, type KernelNamespaces } from './namespaces.js';
import { AttachHub } from './attach.js';
import { networkFiles } from './netfiles.js';
import { MonitorWatch } from './monitor.js';
import { DeferredDeletes } from './deferred.js';
import type { AttachRequest, AttachSink, ContainerDeps, NamespacePlan } from './deps.js';

export type {
  AttachSink, ContainerCgroups, ContainerDeps, ContainerNetworking, ContainerVolumes, HostFiles, ImageResolver, NamespacePlan,
  ResolvedImage, RootfsProvider, SpecBuilder, SpecMounts,
} from './deps.js';
export { pipeAttach } from './attach.js';
export { eventAttributes } from './record.js';

const nowIso = () => new Date().toISOString();

export class ContainerService {
  private readonly waiters = new Waiters();
  private readonly attaches = new AttachHub((p) => this.d.runtime.attach(p));
  /** ids whose exit is being handled, so a watcher event and a poll don't handle it twice */
  private readonly exiting = new Map<string, Promise<void>>();
  private readonly lock = new KeyedLock();
  /** runtime state deleted once a container's exit or removal is reported (deferred.ts) */
  private readonly deletes = new DeferredDeletes((id) => this.d.runtime.delete(id, { background: true }), (m) => this.d.log?.(m));
  /** containers whose teardown is done since their last start */
  private readonly tornDown = new Set<string>();
  /** the /dev/shm tmpfs of shareable-IPC containers */
  private readonly shm = new ShmMounts((id) => this.d.store.dir(id));
  /** containers whose next exit must not restart them (stopped, or killed with the stop signal) */
  private readonly exitOnNext = new Set<string>();
  /** restart policies at work; off while the daemon reconciles at boot (`enableRestarts` turns them on) */
  private readonly restarts: RestartSupervisor;

  /** notices a conmon that died under its container (monitor.ts) */
  private readonly monitors: MonitorWatch;

  constructor(private readonly d: ContainerDeps) {
    this.monitors = new MonitorWatch({
      running: () => this.d.store.all().filter((r) => r.state.Status === 'running' || r.state.Status === 'paused'),
      get: (id) => this.d.store.get(id), bundleDir: (id) => this.bundleDir(id), runtime: d.runtime,
      handleExit: (id) => this.handleExit(id), exitInProgress: (id) => this.exiting.get(id), log: d.log,
    });
    this.restarts = new RestartSupervisor({
      get: (id) => d.store.get(id), all: () => d.store.all(), save: (rec) => d.store.save(rec),
      locked: (id, fn) => this.locked(id, fn), start: (rec) => this.startLocked(rec),
      exited: (id, code) => this.waiters.notify(id, 'exit', code), log: d.log,
    });
  }

  /**
   * Checks the monitor of one container (or of every running one): a container whose conmon died is
   * taken over and marked exited before it is shown (inspect, ps) or acted on.
   */
  async checkMonitors(ref?: string): Promise<void> {
    if (ref === undefined) await this.monitors.checkAll();
    else {
      const rec = this.d.store.find(ref);
      if (rec) await this.monitors.check(rec.id);
    }
  }

  runningRecords(): ContainerRecord[] {
    return this.d.store.all().filter((r) => r.state.Status === 'running');
  }

  bundleDir(id: string): string {
    return path.join(this.d.execRoot, 'c', id.slice(0, 24));
  }

  /** Serialise lifecycle operations per container. */
  private locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(key, fn);
  }

  private attrs(rec: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
    return eventAttributes(rec, extra);
  }

  async create(name: string | undefined, body: unknown): Promise<{ Id: string; Warnings: string[] }> {
    const { rec, warnings } = await newRecord(this.d, name, body);
    try {
      await this.d.store.save(rec);
    } catch (e) {
      this.d.store.releaseName(rec.name, rec.id);
      await fsp.rm(this.d.store.dir(rec.id), { recursive: true, force: true });
      throw e;
    }
    this.d.events.publish('container', 'create', rec.id, this.attrs(rec));
    return { Id: rec.id, Warnings: warnings };
  }

  /** PID and IPC namespaces and /dev/shm (namespaces.ts); mounts a shareable container's tmpfs. */
  private async namespaceSetup(rec: ContainerRecord): Promise<KernelNamespaces> {
    const plan = planNamespaces(rec, { find: (ref) => this.d.store.find(ref), shmPath: (id) => this.shm.path(id) });
    if (plan.ownShm) await this.shm.setUp(plan.ownShm);
    return plan;
  }

  /** Namespaces and the /etc files for the container's network mode (netfiles.ts). */
  private async networkSetup(rec: ContainerRecord): Promise<NamespacePlan> {
    const kernel = await this.namespaceSetup(rec);
    return { ...(await networkFiles(rec, this.d)), ...kernel };
  }

  async start(ref: string): Promise<void> {
    const rec0 = this.d.store.resolve(ref);
    await this.locked(rec0.id, async () => {
      const rec = this.d.store.resolve(rec0.id);
      const err = checkStart(rec.state.Status, rec.id);
      if (err) throw err;
      // as Docker: a start through the API begins a new series of automatic restarts
      this.restarts.reset(rec.id);
      rec.restartCount = 0;
      this.exitOnNext.delete(rec.id);
      await this.startLocked(rec);
    });
  }

  private async startLocked(rec: ContainerRecord): Promise<void> {
    const bundle = this.bundleDir(rec.id);
    this.tornDown.delete(rec.id);
    try {
      // the rootfs with its volumes, and the namespaces with the network files, are independent
      const [fs, ns] = await Promise.allSettled([
        (async () => {
          const { rootfs } = await this.d.rootfs.prepare(rec.id, rec.layers);
          return { rootfs, mounts: this.d.volumes && rec.mounts ? await this.d.volumes.setUp(rec.mounts, rec.id, rootfs) : undefined };
        })(),
        this.networkSetup(rec),
      ]);
      // both have settled, so the cleanup below never races a half-done one
      if (fs.status === 'rejected') throw fs.reason;
      if (ns.status === 'rejected') throw ns.reason;
      const { rootfs, mounts } = fs.value;
      const namespaces = ns.value;
      const spec = await this.d.spec.build(rec, { rootfs, namespaces, mounts });
      await fsp.mkdir(bundle, { recursive: true, mode: 0o700 });
      await fsp.writeFile(path.join(bundle, 'config.json'), spec);
      await this.d.runtime.delete(rec.id).catch(() => undefined); // leftovers of a crash (no spawn when there are none)
      const pid = await this.d.runtime.create({
        id: rec.id, bundle, tty: !!rec.config.Tty, stdin: !!rec.config.OpenStdin, logPath: rec.logPath,
        ...(rec.hostConfig.LogConfig?.Type === 'none' ? { logDriver: 'none' as const } : {}), leaveStdinOpen: !rec.config.StdinOnce,
      });
      // runc brings `lo` up in a new network namespace; bridge networks also get their veths
      if (namespaces.net.mode === 'new' && parseNetworkMode(rec.hostConfig.NetworkMode).kind === 'bridge') await this.d.network.wire(rec, pid);
      await this.attaches.connectPending(rec.id, this.bundleDir(rec.id), !!rec.config.StdinOnce);
      await this.d.runtime.start(rec.id);
      const st: ContainerState = {
        ...rec.state, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: pid, ExitCode: 0, Error: '', StartedAt: nowIso(),
      };
      const probe = this.d.health ? probeOf(rec.config) : undefined;
      if (probe) st.Health = initialHealth();
      rec.state = st;
      if (namespaces.linkEnv?.length) rec.linkEnv = namespaces.linkEnv;
      else delete rec.linkEnv;
      rec.hasBeenStarted = true;
      rec.manuallyStopped = false;
      await this.d.store.save(rec);
      this.d.events.publish('container', 'start', rec.id, this.attrs(rec));
      if (probe) this.d.health!.watch(rec.id, probe);
    } catch (e) {
      await this.teardown(rec, { dropExit: true });
      const failure = startFailure(e, rec.path);
      // as Docker: the error is kept on the container, with 127/126 for a missing/unrunnable command
      rec.state.Error = failure.message;
      rec.state.ExitCode = failure.exitCode;
      await this.d.store.save(rec).catch(() => undefined);
      // as Docker: a --rm container whose start failed is removed (its `wait?condition=removed` returns)
      if (rec.hostConfig.AutoRemove) await this.removeLocked(rec, { force: true, volumes: true }).catch(() => undefined);
      throw failure.error;
    }
  }

  /**
   * Runs `fn` under the container's lock with its root file system mounted, for work on its files (cp,
   * export, diff, commit): a start, an exit or a removal waits until it is done. A stopped container's
   * rootfs is mounted for the call and unmounted after it. `mount: false`: the lock alone (`rootfs` is
   * ''), for readers of the upper directory (a build step's diff).
   */
  async withRootfs<T>(ref: string, fn: (rec: ContainerRecord, rootfs: string) => Promise<T>, o: { mount?: boolean } = {}): Promise<T> {
    const rec0 = this.d.store.resolve(ref);
    return this.locked(rec0.id, async () => {
      const rec = this.d.store.resolve(rec0.id);
      if (rec.state.Status === 'removing') throw conflict(`container ${rec.id} is marked for removal`);
      if (o.mount === false) return fn(rec, '');
      const live = isActive(rec.state.Status);
      const { rootfs } = await this.d.rootfs.prepare(rec.id, rec.layers);
      try {
        return await fn(rec, rootfs);
      } finally {
        if (!live) await this.d.rootfs.unmount(rec.id).catch((e) => this.d.log?.(`unmount ${rec.id}: ${(e as Error).message}`));
      }
    });
  }

  private async releaseMounts(rec: ContainerRecord): Promise<void> {
    await this.shm.release(rec.id).catch((e) => this.d.log?.(`unmount /dev/shm of ${rec.id}: ${(e as Error).message}`));
    if (!this.d.volumes || !rec.mounts) return;
    await this.d.volumes.tearDown(rec.mounts, rec.id).catch((e) => this.d.log?.(`unmount volumes of ${rec.id}: ${(e as Error).message}`));
  }

  /**
   * The one way back from a started (or half-started) container: the runtime's state, the mounts
   * (/dev/shm, volumes, the rootfs), the bundle, the network and pending attaches. Used when a start
   * fails, when the process exits, and when the container is removed. Each step runs even when another
   * failed; only the removal of the rootfs (`removeRootfs`) fails the whole, since a container whose
   * files are still there must not be forgotten.
   */
  private async teardown(rec: ContainerRecord, opts: { dropExit?: boolean; removeRootfs?: boolean; background?: boolean } = {}): Promise<void> {
    const logged = (what: string) => (e: unknown) => this.d.log?.(`${what} ${rec.id}: ${(e as Error).message}`);
    if (this.tornDown.has(rec.id)) {
      // an exit already gave everything back (a --rm container removed right after its exit)
      if (opts.removeRootfs) await this.d.rootfs.remove(rec.id);
      return;
    }
    // with `background`, the runtime's state goes once the exit or removal is reported (deferred.ts)
    if (opts.background) this.deletes.hold(rec.id);
    const [, files] = await Promise.allSettled([
      opts.background ? undefined : this.d.runtime.delete(rec.id).catch(logged('runtime delete')),
      (async () => {
        await this.releaseMounts(rec);
        if (opts.removeRootfs) await this.d.rootfs.remove(rec.id);
        else await this.d.rootfs.unmount(rec.id).catch(logged('unmount'));
        await fsp.rm(this.bundleDir(rec.id), { recursive: true, force: true });
      })(),
      this.d.network.release(rec).catch(logged('network teardown')),
    ]);
    if (opts.dropExit) await this.d.runtime.takeExit(rec.id).catch(() => undefined);
    this.attaches.closePending(rec.id);
    if (files.status === 'rejected') throw files.reason;
    this.tornDown.add(rec.id);
  }

  /** Called when conmon wrote an exit file for `id`. */
  handleExit(id: string): Promise<void> {
    // a second caller waits for the exit being handled (so it sees the container stopped)
    const busy = this.exiting.get(id);
    if (busy) return busy;
    if (!this.d.store.get(id)) return Promise.resolve();
    const p = this.handleExitOnce(id);
    this.exiting.set(id, p);
    return p;
  }

  private async handleExitOnce(id: string): Promise<void> {
    try {
      await this.locked(id, async () => {
        const rec = this.d.store.get(id);
        if (!rec) return;
        const code = await this.d.runtime.takeExit(id);
        if (code === undefined) return;
        const oom = (await this.d.cgroups?.oomKilled(id).catch(() => false)) ?? false;
        await this.teardown(rec, { background: true });
        const finished = nowIso();
        const restart = this.restarts.enabled && !this.exitOnNext.has(id)
          && wantsRestart(rec.hostConfig.RestartPolicy, { exitCode: code, manuallyStopped: rec.manuallyStopped, restartCount: rec.restartCount });
        this.exitOnNext.delete(id);
        // as Docker: a container waiting for its restart is "restarting", and still counts as running
        rec.state = { ...rec.state, Status: restart ? 'restarting' : 'exited', Running: restart, Paused: false, Restarting: restart, Pid: 0, ExitCode: code, OOMKilled: oom, FinishedAt: finished };
        this.d.health?.unwatch(id);
        // as Docker: a health monitor that stops leaves the status at unhealthy
        if (rec.state.Health) rec.state.Health = { ...rec.state.Health, Status: 'unhealthy' };
        if (restart) rec.restartCount++;
        if (oom) this.d.events.publish('container', 'oom', id, this.attrs(rec));
        // one state write for a --rm container: its record is removed right below. Should the daemon die in
        // between, the record still says running with no exit file and no process, which the next start
        // reconciles (exit 255, as Docker reports a lost exit) and then removes, as --rm asks
        const removing = !restart && !!rec.hostConfig.AutoRemove;
        if (!removing) await this.d.store.save(rec);
        const ran = Math.max(0, Date.parse(rec.state.FinishedAt) - Date.parse(rec.state.StartedAt));
        this.d.events.publish('container', 'die', id, this.attrs(rec, { execDuration: String(Math.trunc(ran / 1000) || 0), exitCode: String(code) }));
        this.waiters.notify(id, restart ? 'restarting' : 'exit', code);
        if (restart) this.restarts.schedule(id, Date.parse(finished) - Date.parse(rec.state.StartedAt));
        else if (rec.hostConfig.AutoRemove) {
          // as Docker: --rm also removes the container's anonymous volumes
          await this.removeLocked(rec, { force: true, volumes: true }).catch(async (e) => {
            this.d.log?.(`auto-remove ${id}: ${(e as Error).message}`);
            await this.d.store.save(rec).catch(() => undefined);
          });
        }
        this.deletes.flush(id); // before the lock is let go: a new start waits for the delete
      });
    } finally {
      this.exiting.delete(id);
      this.deletes.flush(id);
    }
  }

  /**
   * Turns automatic restarts on once the daemon is ready (networks and volumes restored), and starts
   * what Docker starts when its daemon starts: `always` containers, `unless-stopped` ones not stopped by
   * hand, and `on-failure` ones that failed and have retries left.
   */
  async enableRestarts(): Promise<void> {
    this.restarts.enabled = true;
    this.monitors.start();
    for (const rec of this.d.store.all()) {
      const probe = this.d.health && (rec.state.Status === 'running' || rec.state.Status === 'paused') ? probeOf(rec.config) : undefined;
      if (probe) this.d.health!.watch(rec.id, probe);
    }
    await this.restarts.boot();
  }

  /** Stores the result of a health probe of a running container; returns the previous status. */
  async recordHealth(id: string, h: NonNullable<ContainerState['Health']>): Promise<string | undefined> {
    return this.locked(id, async () => {
      const rec = this.d.store.get(id);
      if (!rec || (rec.state.Status !== 'running' && rec.state.Status !== 'paused')) return undefined;
      const before = rec.state.Health?.Status ?? 'starting';
      rec.state = { ...rec.state, Health: h };
      await this.d.store.save(rec);
      return before;
    });
  }

  /** Docker's `health_status: <status>` event. */
  publishHealth(id: string, status: string): void {
    const rec = this.d.store.get(id);
    if (rec) this.d.events.publish('container', `health_status: ${status}`, id, this.attrs(rec));
  }

  /** Stops the restart timers (the daemon is going away; the containers' state stays as it is). */
  close(): void {
    this.monitors.stop();
    this.restarts.close();
  }

  /** POST /containers/{id}/wait: resolves with the exit code when the condition is met. */
  wait(ref: string, condition: string | undefined, signal?: AbortSignal): Promise<WaitResult> {
    const rec = this.d.store.resolve(ref);
    const cond = parseWaitCondition(condition);
    if (cond === 'not-running' && !isActive(rec.state.Status)) return Promise.resolve({ StatusCode: rec.state.ExitCode, Error: null });
    return this.waiters.add(rec.id, cond, signal);
  }

  /** How long a SIGKILLed container's process may take to die (the test shortens it). */
  killWaitMs = 15000;

  /**
   * After a SIGKILL: true once the container stopped. The process dies at once, but the daemon's own
   * handling of the exit (runc delete, unmounts, network) can take long on a loaded machine, with many
   * containers stopping together: as dockerd does, a container whose process the runtime reports gone
   * is waited for with no deadline; only a process still there after killWaitMs is a failure.
   */
  private async waitKilled(id: string): Promise<boolean> {
    if (await this.waitExit(id, this.killWaitMs)) return true;
    const st = await this.d.runtime.state(id).catch(() => undefined);
    if (st && st.status !== 'stopped') return false;
    return this.waitExit(id, 2 ** 31 - 1);
  }

  /** Resolves once the container is not running any more (or after ms). */
  private waitExit(id: string, ms: number): Promise<boolean> {
    const rec = this.d.store.get(id);
    if (!rec || !isActive(rec.state.Status)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const ac = new AbortController();
      const timer = setTimeout(() => { ac.abort(); resolve(false); }, ms);
      void this.wait(id, 'next-exit', ac.signal).then(() => { clearTimeout(timer); resolve(true); });
      // the exit may be sitting in the exit dir already (watch events can be coalesced)
      void this.d.runtime.pendingExits().then((ids) => { if (ids.includes(id)) void this.handleExit(id); });
      // or its monitor died: nothing will ever write one
      void this.monitors.check(id);
    });
  }

  async kill(ref: string, signal: number, parseSignal?: (s: string) => number): Promise<void> {
    await this.checkMonitors(ref);
    const rec = this.d.store.resolve(ref);
    const err = checkKill(rec.state.Status, rec.id);
    if (err) throw err;
    // as Docker: SIGKILL or the container's stop signal means "stop": no automatic restart follows
    const stopping = signal === 9 || signal === (parseSignal?.(rec.config.StopSignal || 'SIGTERM') ?? 15);
    if (rec.state.Status === 'restarting') {
      if (!stopping) throw conflict(`Container ${rec.id} is restarting, wait until the container is running`);
      await this.locked(rec.id, () => this.restarts.settle(rec));
      this.d.events.publish('container', 'kill', rec.id, this.attrs(rec, { signal: String(signal) }));
      return;
    }
    rec.manuallyStopped = true;
    if (stopping) this.exitOnNext.add(rec.id);
    await this.d.runtime.kill(rec.id, signal).catch((e) => { throw conflict(`cannot kill container: ${rec.id}: ${(e as Error).message}`); });
    if (stopping && rec.state.Status === 'paused') await this.d.runtime.resume(rec.id).catch(() => undefined);
    this.d.events.publish('container', 'kill', rec.id, this.attrs(rec, { signal: String(signal) }));
    // as dockerd's Kill: a SIGKILL returns once the container has stopped (an inspect right after sees it exited)
    if (signal === 9 && !(await this.waitKilled(rec.id))) throw unavailable(`cannot kill container ${rec.id}: it did not exit after SIGKILL`);
  }

  async stop(ref: string, opts: { timeout?: number; signal?: number }, parseSignal: (s: string) => number): Promise<void> {
    await this.checkMonitors(ref);
    const rec = this.d.store.resolve(ref);
    const err = checkStop(rec.state.Status);
    if (err) throw err;
    await this.stopRunning(rec, opts, parseSignal);
  }

  private async stopRunning(rec: ContainerRecord, opts: { timeout?: number; signal?: number }, parseSignal: (s: string) => number, retried = false): Promise<void> {
    if (rec.state.Status === 'restarting') {
      await this.locked(rec.id, () => this.restarts.settle(rec));
      this.d.events.publish('container', 'stop', rec.id, this.attrs(rec));
      return;
    }
    const sig = opts.signal ?? parseSignal(rec.config.StopSignal || 'SIGTERM');
    const timeout = opts.timeout ?? rec.config.StopTimeout ?? 10;
    rec.manuallyStopped = true;
    this.exitOnNext.add(rec.id);
    await this.d.runtime.kill(rec.id, sig).catch(() => undefined);
    // a frozen process only sees the signal once thawed
    if (rec.state.Status === 'paused') await this.d.runtime.resume(rec.id).catch(() => undefined);
    this.d.events.publish('container', 'kill', rec.id, this.attrs(rec, { signal: String(sig) }));
    let stopped = timeout < 0 ? await this.waitExit(rec.id, 2 ** 31 - 1) : await this.waitExit(rec.id, timeout * 1000);
    if (!stopped) {
      await this.d.runtime.kill(rec.id, 9, true).catch(() => undefined);
      this.d.events.publish('container', 'kill', rec.id, this.attrs(rec, { signal: '9' }));
      stopped = await this.waitKilled(rec.id);
    }
    if (!stopped) throw unavailable(`cannot stop container ${rec.id}: it did not exit after SIGKILL`);
    // it may have exited on its own just before the signal, with a restart already planned: the stop cancels it
    const again = await this.locked(rec.id, async () => {
      const cur = this.d.store.get(rec.id);
      if (cur?.state.Status === 'restarting') await this.restarts.settle(cur);
      return cur?.state.Status === 'running' ? cur : undefined;
    });
    if (again && !retried) return this.stopRunning(again, opts, parseSignal, true);
    this.d.events.publish('container', 'stop', rec.id, this.attrs(rec));
  }

  async restart(ref: string, opts: { timeout?: number; signal?: number }, parseSignal: (s: string) => number): Promise<void> {
    const rec = this.d.store.resolve(ref);
    if (isActive(rec.state.Status)) await this.stopRunning(rec, opts, parseSignal);
    await this.start(rec.id);
    rec.restartCount = 0;
    this.d.events.publish('container', 'restart', rec.id, this.attrs(rec));
  }

  async remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void> {
    await this.checkMonitors(ref);
    const rec = this.d.store.resolve(ref);
    const err = checkRemove(rec.state.Status, rec.id, opts.force);
    if (err) throw err;
    if (rec.state.Status === 'restarting') await this.locked(rec.id, () => this.restarts.settle(rec));
    if (isActive(rec.state.Status)) {
      rec.manuallyStopped = true;
      this.exitOnNext.add(rec.id);
      await this.d.runtime.kill(rec.id, 9, true).catch(() => undefined);
      if (rec.state.Status === 'paused') await this.d.runtime.resume(rec.id).catch(() => undefined);
      if (!(await this.waitKilled(rec.id))) throw unavailable(`could not kill container ${rec.id}`);
    }
    await this.locked(rec.id, async () => {
      const cur = this.d.store.get(rec.id);
      if (cur) await this.removeLocked(cur, opts);
    });
  }

  private async removeLocked(rec: ContainerRecord, opts: { force: boolean; volumes: boolean }): Promise<void> {
    rec.state.Status = 'removing';
    await this.teardown(rec, { removeRootfs: true, background: true });
    this.tornDown.delete(rec.id);
    await this.d.store.remove(rec);
    this.d.health?.unwatch(rec.id);
    this.restarts.reset(rec.id);
    this.exitOnNext.delete(rec.id);
    if (opts.volumes && this.d.volumes && rec.mounts) {
      await this.d.volumes.removeAnonymous(rec.mounts, rec.id).catch((e) => this.d.log?.(`remove volumes of ${rec.id}: ${(e as Error).message}`));
    }
    this.d.events.publish('container', 'destroy', rec.id, this.attrs(rec));
    this.waiters.notify(rec.id, 'removed', rec.state.ExitCode);
    this.deletes.flush(rec.id);
  }

  /** POST /containers/{id}/update: new resources, applied live to a running container, then stored. */
  async update(ref: string, body: unknown): Promise<{ Warnings: string[] }> {
    const cg = this.d.cgroups;
    if (!cg) throw unavailable('resource updates are not supported by this daemon');
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('invalid update body: expected a JSON object');
    const rec0 = this.d.store.resolve(ref);
    return this.locked(rec0.id, async () => {
      const rec = this.d.store.resolve(rec0.id);
      const { resources, hostConfig, warnings } = planUpdate(rec, body as Record<string, unknown>, cg);
      if (rec.state.Status === 'running' || rec.state.Status === 'paused') {
        await cg.apply(rec.id, resources).catch((e: unknown) => {
          throw invalidArgument(`Cannot update container ${rec.id}: ${(e as Error).message}`);
        });
      }
      rec.hostConfig = hostConfig;
      await this.d.store.save(rec);
      this.d.events.publish('container', 'update', rec.id, this.attrs(rec));
      return { Warnings: warnings };
    });
  }

  /** POST /containers/{id}/pause: freezes the container's processes (runc pause: the freezer cgroup). */
  pause(ref: string): Promise<void> {
    return this.freeze(ref, true);
  }

  unpause(ref: string): Promise<void> {
    return this.freeze(ref, false);
  }

  private async freeze(ref: string, frozen: boolean): Promise<void> {
    const rec0 = this.d.store.resolve(ref);
    await this.locked(rec0.id, async () => {
      const rec = this.d.store.resolve(rec0.id);
      const err = frozen ? checkPause(rec.state.Status, rec.id) : checkUnpause(rec.state.Status, rec.id);
      if (err) throw err;
      const verb = frozen ? 'pause' : 'unpause';
      await (frozen ? this.d.runtime.pause(rec.id) : this.d.runtime.resume(rec.id))
        .catch((e: Error) => { throw new BerthError('Internal', `Cannot ${verb} container ${rec.id}: ${e.message}`); });
      rec.state = { ...rec.state, Status: frozen ? 'paused' : 'running', Paused: frozen };
      await this.d.store.save(rec);
      this.d.events.publish('container', verb, rec.id, this.attrs(rec));
    });
  }

  async rename(ref: string, newName: string): Promise<void> {
    const rec = this.d.store.resolve(ref);
    if (!newName) throw invalidArgument('Neither old nor new names may be empty');
    if (!validContainerName.test(newName)) throw invalidArgument(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const full = newName.startsWith('/') ? newName : `/${newName}`;
    if (full === rec.name) throw invalidArgument(`Renaming a container with the same name as its current name`);
    const old = rec.name;
    this.d.store.claimName(full, rec.id);
    rec.name = full;
    try {
      await this.d.store.save(rec);
    } catch (e) {
      rec.name = old;
      this.d.store.releaseName(full, rec.id);
      throw e;
    }
    this.d.store.releaseName(old, rec.id);
    this.d.events.publish('container', 'rename', rec.id, this.attrs(rec, { oldName: old }));
  }

  async resize(ref: string, h: number, w: number): Promise<void> {
    const rec = this.d.store.resolve(ref);
    if (rec.state.Status !== 'running') throw conflict(`container ${rec.id} is not running`);
    await this.d.runtime.resize(this.bundleDir(rec.id), h, w);
    this.d.events.publish('container', 'resize', rec.id, this.attrs(rec, { height: String(h), width: String(w) }));
  }

  /**
   * Attach a client. A running container is joined at once; one not yet started is joined when it
   * starts (before its process runs, so no output is lost), which is how `docker run` attaches.
   */
  async attach(ref: string, req: AttachRequest, sink: AttachSink): Promise<void> {
    const rec = this.d.store.resolve(ref);
    const err = checkAttach(rec.state.Status);
    if (err) throw err;
    this.d.events.publish('container', 'attach', rec.id, this.attrs(rec));
    if (rec.state.Status === 'running') await this.attaches.join(this.bundleDir(rec.id), req, sink, !!rec.config.StdinOnce);
    else this.attaches.wait(rec.id, req, sink);
  }

  /** POST /networks/{id}/connect: under the container's lock, so a start, an exit or a stop never races it */
  async connectNetwork(network: string, ref: string, endpoint: EndpointSettings): Promise<void> {
    const rec0 = this.d.store.resolve(ref);
    await this.locked(rec0.id, async () => {
      const rec = this.d.store.resolve(rec0.id);
      await this.d.network.connect(network, rec, endpoint);
      await this.d.store.save(rec);
    });
  }

  /** POST /networks/{id}/disconnect; with force, also drops the endpoint of a container that is gone */
  async disconnectNetwork(network: string, ref: string, force: boolean): Promise<void> {
    let rec0: ContainerRecord;
    try {
      rec0 = this.d.store.resolve(ref);
    } catch (e) {
      if (force && isKind(e, 'NotFound') && (await this.d.network.removeStaleEndpoint(network, ref))) return;
      throw e;
    }
    await this.locked(rec0.id, async () => {
      const rec = this.d.store.resolve(rec0.id);
      await this.d.network.disconnect(network, rec);
      await this.d.store.save(rec);
    });
  }

  /** Drop a pending attach whose client went away before the container started. */
  cancelAttach(id: string, sink: AttachSink): void {
    this.attaches.cancel(id, sink);
  }
}
