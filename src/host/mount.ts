/**
 * Mounting: the one place that changes the kernel's mount table (through berth-mountd's mount(2) and
 * umount2(2) where it can, mount(8) and umount(8) otherwise), and
 * reads it back from /proc/self/mountinfo (parsed in mountinfo.ts).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseMountInfo } from './mountinfo.js';
import { run } from './process.js';
import { mountArgs, mountDaemon } from './mountd.js';

export interface MountOptions {
  /** run mount(8) in this folder: overlay's lowerdir list may then use short relative paths */
  cwd?: string;
}

/** mount -t type [-o options] -- source target; overlay and tmpfs by the system call (mountd.ts), no process */
export async function mount(source: string, target: string, type: string, options: string, opts: MountOptions = {}): Promise<void> {
  const direct = mountArgs(type, options);
  const d = direct && mountDaemon();
  if (direct && d) return d.mount(source, target, type, direct.flags, direct.data, opts.cwd ? path.resolve(opts.cwd) : '');
  const args = ['-t', type || 'none'];
  if (options) args.push('-o', options);
  await run('mount', [...args, '--', source, target], { cwd: opts.cwd });
}

/** umount target; `lazy` detaches a busy mount (umount -l) */
export async function unmount(target: string, opts: { lazy?: boolean } = {}): Promise<void> {
  const d = mountDaemon();
  if (d) return d.unmount(target, !!opts.lazy);
  await run('umount', opts.lazy ? ['-l', target] : [target]);
}

/** mount points of this process's namespace */
export async function mountPoints(): Promise<string[]> {
  return parseMountInfo(await fsp.readFile('/proc/self/mountinfo', 'utf8')).map((m) => m.mountPoint);
}

/** mount points at `dir` or below it, deepest first */
export async function mountsUnder(dir: string): Promise<string[]> {
  const base = path.resolve(dir);
  return (await mountPoints()).filter((p) => p === base || p.startsWith(`${base}/`)).sort((a, b) => b.length - a.length);
}
