/**
 * After a restart (or a crash), make the records agree with the kernel:
 *  - a container recorded as running that runc still runs: keep it (its conmon never stopped);
 *  - one that ended meanwhile: take conmon's exit file and mark it exited with the real code;
 *  - runc state or bundles of containers we have no record of (a crash mid-create): delete them;
 *  - overlay mounts and shareable /dev/shm tmpfs of containers that are not running: unmount them.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ContainerStore } from '../containers/store.js';
import type { ContainerService } from '../containers/service.js';
import { ShmMounts } from '../containers/namespaces.js';
import type { Runtime, RuntimeState } from '../runtime/runtime.js';

export async function reconcile(d: {
  store: ContainerStore; runtime: Runtime; containers: ContainerService; execRoot: string;
  snapshotter: { listMounted(): Promise<string[]>; unmount(key: string): Promise<void> };
  log: (m: string) => void;
}): Promise<void> {
  const known = await d.runtime.list().catch(() => new Map<string, RuntimeState>());
  const pending = new Set(await d.runtime.pendingExits());
  for (const rec of d.store.all()) {
    const rt = known.get(rec.id);
    // a "restarting" container has no process (it waits for its restart): enableRestarts() decides
    if (rec.state.Status === 'running' || rec.state.Status === 'paused') {
      if (rt && (rt.status === 'running' || rt.status === 'paused')) continue;
      if (!pending.has(rec.id)) {
        // no exit file: conmon itself died; the exit code is unknown, as Docker reports it
        await fsp.writeFile(path.join(d.execRoot, 'exits', rec.id), '255');
        pending.add(rec.id);
      }
    } else if (rt) {
      // a record that is not running but still has runc state: a start that crashed half-way
      await d.runtime.delete(rec.id).catch(() => undefined);
    }
  }
  for (const id of pending) {
    if (d.store.get(id)) await d.containers.handleExit(id);
    else await fsp.rm(path.join(d.execRoot, 'exits', id), { force: true });
  }
  for (const [id] of known) {
    if (!d.store.get(id)) {
      d.log(`removing runtime state of unknown container ${id}`);
      await d.runtime.kill(id, 9, true).catch(() => undefined);
      await d.runtime.delete(id).catch(() => undefined);
    }
  }
  for (const key of await d.snapshotter.listMounted()) {
    const rec = d.store.get(key);
    if (!rec || rec.state.Status !== 'running') {
      d.log(`unmounting stray rootfs of ${key}`);
      await d.snapshotter.unmount(key).catch((e) => d.log(`unmount ${key}: ${(e as Error).message}`));
    }
  }
  // the /dev/shm tmpfs of shareable-IPC containers that stopped meanwhile
  await new ShmMounts((id) => d.store.dir(id)).releaseStopped(d.store.all(), d.log);
  // bundles and exec dirs of containers that are gone
  for (const sub of ['c', 'x']) {
    const dir = path.join(d.execRoot, sub);
    for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
      const live = sub === 'c' && d.store.all().some((r) => r.id.startsWith(name) && r.state.Status === 'running');
      if (!live) await fsp.rm(path.join(dir, name), { recursive: true, force: true });
    }
  }
}
