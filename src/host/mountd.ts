/**
 * mount(2) and umount2(2) without a process per call: berth-mountd (native/mountd.c), started once on first
 * use and kept, does the system calls; this side turns mount(8)-style option strings into flags and data
 * and queues the requests. Only plain file system mounts of the types the start path makes (overlay,
 * tmpfs) with options whose meaning is plain go this way; binds, remounts, propagation changes and other
 * types stay with mount(8), which knows their extra steps.
 */
import { BerthError, isKind } from '../core/errors.js';
import { HelperProcess } from './helperproc.js';
import { sharedHelper } from './native.js';

const MS: Record<string, [set: number, clear: number]> = {
  ro: [1, 0], rw: [0, 1], nosuid: [2, 0], suid: [0, 2], nodev: [4, 0], dev: [0, 4], noexec: [8, 0], exec: [0, 8],
  sync: [16, 0], async: [0, 16], mand: [64, 0], nomand: [0, 64], dirsync: [128, 0], noatime: [1024, 0], atime: [0, 1024],
  nodiratime: [2048, 0], diratime: [0, 2048], silent: [32768, 0], loud: [0, 32768], relatime: [1 << 21, 0], norelatime: [0, 1 << 21],
  strictatime: [1 << 24, 0], nostrictatime: [0, 1 << 24], lazytime: [1 << 25, 0], nolazytime: [0, 1 << 25], defaults: [0, 0],
};
/** words that make mount(8) do more than one mount(2): left to it */
const STEPS = /^(bind|rbind|remount|move|r?(shared|private|slave|unbindable)|make-.*|x-.*|loop|user|users|owner|group|auto|noauto|nofail|_netdev|comment=.*)$/;
const DIRECT_TYPES = new Set(['overlay', 'tmpfs']);

/** flags and data for mount(2), or undefined when mount(8) must do it */
export function mountArgs(type: string, options: string): { flags: number; data: string } | undefined {
  if (!DIRECT_TYPES.has(type)) return undefined;
  let flags = 0;
  const data: string[] = [];
  for (const word of options ? options.split(',') : []) {
    if (word === '') continue;
    if (STEPS.test(word)) return undefined;
    const f = MS[word];
    if (f) flags = (flags | f[0]) & ~f[1];
    else data.push(word);
  }
  return { flags: flags >>> 0, data: data.join(',') };
}

export class MountDaemon {
  private readonly proc: HelperProcess;

  constructor(helper: string) {
    this.proc = new HelperProcess(helper, 'berth-mountd');
  }

  /** "0", or "<errno> <message>" */
  private async request(fields: string[], what: string): Promise<void> {
    let line: string;
    try {
      line = await this.proc.send(fields);
    } catch (e) {
      throw new BerthError(isKind(e, 'InvalidArgument') ? 'InvalidArgument' : 'Internal', `${what}: ${(e as Error).message}`);
    }
    if (line !== '0') throw new BerthError('Internal', `${what}: ${line.replace(/^\d+ /, '')}`);
  }

  mount(source: string, target: string, type: string, flags: number, data: string, cwd = ''): Promise<void> {
    return this.request(['m', cwd, source, target, type, String(flags), data], `mount ${type} on ${target}`);
  }

  unmount(target: string, lazy: boolean): Promise<void> {
    return this.request(['u', target, lazy ? '2' : '0'], `umount ${target}`);
  }

  close(): void {
    this.proc.close();
  }
}

/** the process-wide helper, or null when it was not built (then mount(8) does everything) */
export const mountDaemon = sharedHelper('berth-mountd', () => process.env.BERTH_MOUNT_EXEC === '1', (helper) => new MountDaemon(helper));
