/**
 * The one place volumes touch the kernel's mount table: mount(8)/umount(8) and /proc/self/mountinfo.
 * VolumeService and VolumeStore depend on the Mounter interface; tests may pass their own.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { internal } from '../core/errors.js';
import { parseMountInfo } from '../core/snapshots/mountinfo.js';

export interface Mounter {
  /** mount -t type [-o options] device target */
  mount(device: string, target: string, type: string, options: string): Promise<void>;
  /** umount target */
  unmount(target: string): Promise<void>;
  /** mount points at `dir` or below it, deepest first */
  mountsUnder(dir: string): Promise<string[]>;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, _out, stderr) => {
      if (err) reject(internal((stderr || err.message).trim(), err));
      else resolve();
    });
  });
}

export class SystemMounter implements Mounter {
  async mount(device: string, target: string, type: string, options: string): Promise<void> {
    const args = ['-t', type || 'none'];
    if (options) args.push('-o', options);
    await run('mount', [...args, '--', device, target]);
  }

  async unmount(target: string): Promise<void> {
    await run('umount', [target]);
  }

  async mountsUnder(dir: string): Promise<string[]> {
    const base = path.resolve(dir);
    const text = await fsp.readFile('/proc/self/mountinfo', 'utf8');
    return parseMountInfo(text)
      .map((m) => m.mountPoint)
      .filter((p) => p === base || p.startsWith(`${base}/`))
      .sort((a, b) => b.length - a.length);
  }
}
