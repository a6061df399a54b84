/** Special files. Node has no mknod(2); coreutils' mknod makes device nodes and fifos. */
import { run } from './process.js';

export type NodeKind = 'fifo' | 'character-device' | 'block-device';

/** mknod [-m mode] path p|c|b [major minor] */
export async function mknod(file: string, kind: NodeKind, major = 0, minor = 0, mode?: number): Promise<void> {
  const args = mode === undefined ? [] : ['-m', mode.toString(8)];
  args.push(file);
  if (kind === 'fifo') args.push('p');
  else args.push(kind === 'character-device' ? 'c' : 'b', String(major), String(minor));
  await run('mknod', args);
}

/** a device number (st_rdev) split as glibc's major()/minor() do */
export function splitDevice(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  return { major: Number((r >> 8n) & 0xfffn) | Number((r >> 32n) & ~0xfffn), minor: Number(r & 0xffn) | Number((r >> 12n) & ~0xffn) };
}
