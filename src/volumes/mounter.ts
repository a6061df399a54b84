/**
 * How volumes touch the kernel's mount table (through src/host's mount module).
 * VolumeService and VolumeStore depend on the Mounter interface; tests may pass their own.
 */
import { mount, mountsUnder, unmount } from '../host/index.js';

export interface Mounter {
  /** mount -t type [-o options] device target */
  mount(device: string, target: string, type: string, options: string): Promise<void>;
  /** umount target */
  unmount(target: string): Promise<void>;
  /** mount points at `dir` or below it, deepest first */
  mountsUnder(dir: string): Promise<string[]>;
}

export class SystemMounter implements Mounter {
  async mount(device: string, target: string, type: string, options: string): Promise<void> {
    await mount(device, target, type, options);
  }

  async unmount(target: string): Promise<void> {
    await unmount(target);
  }

  async mountsUnder(dir: string): Promise<string[]> {
    return mountsUnder(dir);
  }
}
