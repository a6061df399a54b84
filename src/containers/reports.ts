/**
 * What the API reports about containers beyond their records: the processes (`top`), resource samples
 * (`stats`), and `prune`. These read the runtime and the store; the routes only translate HTTP.
 */
import type { EventBus } from '../core/events.js';
import { conflict, invalidArgument } from '../core/errors.js';
import { output } from '../host/index.js';
import { dirSize } from '../volumes/index.js';
import { pruneCandidates } from './prune.js';
import { hasProcesses } from './state.js';
import type { ContainerStore } from './store.js';

export interface ReportDeps {
  store: ContainerStore;
  /** the pids of a container's processes (runc ps) */
  pids(id: string): Promise<number[]>;
  /** one stats sample of a running container (prev: the sample before, for precpu_stats) */
  stats(c: { id: string; name: string; pid: number }, prev?: unknown): Promise<unknown>;
  /** the stats of a container that is not running: zeros, as Docker sends them */
  idleStats(c: { id: string; name: string }): unknown;
  /** the container's writable layer, whose size a prune reclaims */
  upperDir(id: string): string | undefined;
  /** removes a stopped container (prune), as DELETE /containers/{id} without force */
  remove(id: string): Promise<void>;
  events?: EventBus;
}


export class ContainerReports {
  private pruning = false;

  constructor(private readonly d: ReportDeps) {}

  /** GET /containers/{id}/top: `ps` output of the host, cut to the container's processes (paused ones too) */
  async top(ref: string, psArgs: string | null): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.d.store.resolve(ref);
    if (rec.state.Status === 'restarting') throw conflict(`Container ${rec.id} is restarting, wait until the container is running`);
    if (!hasProcesses(rec.state.Status)) throw conflict(`container ${rec.id} is not running`);
    const pids = new Set((await this.d.pids(rec.id).catch((e: unknown) => {
      // the runtime's `ps` fails (crun 1.8 can even crash) on a container whose process has just ended:
      // that is a container that is not running
      if (!rec.state.Pid || !pidAlive(rec.state.Pid)) throw conflict(`container ${rec.id} is not running`);
      throw e;
    })).map(String));
    const args = (psArgs || '-ef').split(/\s+/).filter(Boolean);
    const out = await output('ps', args).catch((e: Error) => { throw invalidArgument(`ps: ${e.message}`); });
    const lines = out.trimEnd().split('\n');
    const titles = lines[0]!.trim().split(/\s+/);
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw invalidArgument(`Couldn't find PID field in ps output`);
    const processes = lines.slice(1).map((l) => {
      const f = l.trim().split(/\s+/);
      return [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')];
    }).filter((f) => pids.has(f[pidCol]!));
    return { Titles: titles, Processes: processes };
  }

  /** one stats sample; a container that is not running (or stops meanwhile) gives Docker's zeros */
  async sample(id: string, prev?: unknown): Promise<{ running: boolean; body: unknown }> {
    const rec = this.d.store.get(id);
    if (!rec || !hasProcesses(rec.state.Status) || !rec.state.Pid) return { running: false, body: this.d.idleStats({ id, name: rec?.name ?? '' }) };
    try {
      return { running: true, body: await this.d.stats({ id, name: rec.name, pid: rec.state.Pid }, prev) };
    } catch {
      return { running: false, body: this.d.idleStats({ id, name: rec.name }) }; // it stopped between the check and the read
    }
  }

  /**
   * GET /containers/{id}/stats. With `stream`, `emit` gets a sample a second until `closed()`;
   * without, one sample (and, unless one-shot, a second one a second later that fills precpu_stats,
   * as dockerd does).
   */
  async stats(ref: string, opts: { stream: boolean; oneShot: boolean }, emit: (body: unknown) => void, closed: () => boolean): Promise<void> {
    const id = this.d.store.resolve(ref).id;
    const sleep = () => new Promise((r) => setTimeout(r, 1000));
    if (!opts.stream) {
      let s = await this.sample(id);
      if (!opts.oneShot && s.running) {
        await sleep();
        s = await this.sample(id, s.body);
      }
      emit(s.body);
      return;
    }
    let prev: unknown;
    while (!closed()) {
      const s = await this.sample(id, prev);
      emit(s.body);
      prev = s.running ? s.body : undefined;
      await sleep();
    }
  }

  /** POST /containers/prune: removes the stopped containers the filters select; one prune at a time */
  async prune(filters: Record<string, string[]>): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const candidates = pruneCandidates(this.d.store.all(), filters);
    if (this.pruning) throw conflict('a prune operation is already running');
    this.pruning = true;
    const deleted: string[] = [];
    let reclaimed = 0;
    try {
      for (const c of candidates) {
        const upper = this.d.upperDir(c.id);
        const size = upper ? await dirSize(upper).catch(() => 0) : 0;
        // as dockerd: a container that cannot be removed is skipped
        if (!(await this.d.remove(c.id).then(() => true, () => false))) continue;
        deleted.push(c.id);
        reclaimed += size;
      }
    } finally {
      this.pruning = false;
    }
    this.d.events?.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }
}

/** Whether a process exists (signal 0: nothing is sent). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
