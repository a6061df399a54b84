/**
 * One daemon per data root. The lock file holds the owner's pid and a daemon id; a lock whose owner is
 * gone (crash, SIGKILL) is taken over, one whose owner still runs berthd is refused.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { conflict } from '../core/errors.js';

export interface Lock { id: string; release(): Promise<void> }

function alive(pid: number): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return /berthd|daemon\/main/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

export async function acquireLock(file: string): Promise<Lock> {
  const prev = await fsp.readFile(file, 'utf8').catch(() => '');
  const [pidText, prevId] = prev.split('\n');
  if (alive(Number(pidText))) throw conflict(`another berthd (pid ${pidText}) is using this data root; lock file ${file}`);
  // the daemon id is stable across restarts of the same data root
  const id = prevId?.trim() || randomBytes(16).toString('hex');
  const tmp = `${file}.${process.pid}`;
  await fsp.writeFile(tmp, `${process.pid}\n${id}\n`);
  await fsp.rename(tmp, file);
  return {
    id,
    async release() {
      // keep the id for the next start; clear the pid
      await fsp.writeFile(file, `0\n${id}\n`).catch(() => undefined);
    },
  };
}
