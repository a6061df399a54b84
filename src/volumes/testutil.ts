/** Test support: a Mounter that records calls and keeps a fake mount table (no kernel involved). */
import path from 'node:path';
import type { Mounter } from './mounter.js';

export class FakeMounter implements Mounter {
  readonly calls: string[] = [];
  readonly mounted = new Set<string>();
  failMount: string | undefined;

  async mount(device: string, target: string, type: string, options: string): Promise<void> {
    this.calls.push(`mount ${type} ${device} ${target} ${options}`);
    if (this.failMount) throw new Error(this.failMount);
    this.mounted.add(path.resolve(target));
  }

  async unmount(target: string): Promise<void> {
    this.calls.push(`umount ${target}`);
    if (!this.mounted.delete(path.resolve(target))) throw new Error(`umount: ${target}: not mounted`);
  }

  async mountsUnder(dir: string): Promise<string[]> {
    const base = path.resolve(dir);
    return [...this.mounted].filter((p) => p === base || p.startsWith(`${base}/`)).sort((a, b) => b.length - a.length);
  }
}
