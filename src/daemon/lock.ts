/**
 * One daemon per data root, arbitrated by the kernel: the daemon binds an abstract unix socket whose
 * name comes from the data root's device and inode numbers (so two paths to one directory, a symlink or
 * a bind mount, get the same name). bind(2) is atomic: of any number of daemons started at once exactly
 * one gets the name, the others get EADDRINUSE. The kernel frees the name when its holder dies, however
 * it dies (SIGKILL included), so there is no stale lock to detect. Node opens every descriptor with
 * O_CLOEXEC, so conmon and runc never inherit it.
 *
 * The lock file keeps the daemon id (stable across restarts) and the owner's pid, for people to read; it
 * is written only once the socket is held, so a loser touches nothing.
 *
 * Abstract names live in the network namespace: daemons on one data root must run in one netns, which
 * they do (berthd manages host networking and runs in the host's).
 */
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { conflict, internal } from '../core/errors.js';

export interface Lock { id: string; release(): Promise<void> }

/** The abstract socket name for a data root (pure). */
export function lockName(dev: number | bigint, ino: number | bigint): string {
  return `\0berthd-lock/${dev.toString(16)}/${ino.toString(16)}`;
}

function bindAbstract(name: string): Promise<net.Server | 'busy'> {
  return new Promise((resolve, reject) => {
    // whoever connects (a daemon that lost) is told the holder's pid
    const server = net.createServer((c) => { c.on('error', () => undefined); c.end(`${process.pid}\n`); });
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve('busy') : reject(e)));
    server.listen({ path: name, exclusive: true }, () => resolve(server));
  });
}

/** Asks the holder of the lock for its pid (it writes it to whoever connects); '' when it does not say. */
function holderPid(name: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const c = net.connect({ path: name });
    const timer = setTimeout(() => c.destroy(), 2000);
    c.on('data', (d: Buffer) => { text += d.toString(); });
    c.on('error', () => undefined);
    c.on('close', () => { clearTimeout(timer); resolve(/^\d+\n$/.test(text) ? text.trim() : ''); });
  });
}

export async function acquireLock(file: string, dataRoot: string): Promise<Lock> {
  const st = await fsp.stat(dataRoot, { bigint: true });
  const name = lockName(st.dev, st.ino);
  const bound = await bindAbstract(name).catch((e: Error) => {
    throw internal(`cannot lock the data root ${dataRoot}: ${e.message}`, e);
  });
  if (bound === 'busy') {
    const pid = await holderPid(name);
    throw conflict(`another berthd${pid ? ` (pid ${pid})` : ''} is using the data root ${dataRoot}`);
  }
  // the holder's socket must not keep the event loop alive on its own
  bound.unref();
  try {
    const prev = await fsp.readFile(file, 'utf8').catch(() => '');
    // the daemon id is stable across restarts of the same data root
    const id = prev.split('\n')[1]?.trim() || randomBytes(16).toString('hex');
    const tmp = `${file}.${process.pid}`;
    await fsp.writeFile(tmp, `${process.pid}\n${id}\n`);
    await fsp.rename(tmp, file);
    return {
      id,
      async release() {
        // keep the id for the next start; clear the pid, then give the name back
        await fsp.writeFile(file, `0\n${id}\n`).catch(() => undefined);
        await new Promise<void>((resolve) => bound.close(() => resolve()));
      },
    };
  } catch (e) {
    bound.close();
    throw e;
  }
}
