/**
 * Atomic small-file writes: the data goes to a uniquely named temp file beside the target (or in a
 * given temp folder on the same filesystem), is fsynced, renamed over the target, and the folder is
 * fsynced so that the rename itself survives a crash. Readers see the old file or the new one, never
 * half of one; two writers never share a temp file.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** file mode of the new file (default 0600) */
  mode?: number;
  /** a folder on the same filesystem for the temp file (default: the target's folder) */
  tmpDir?: string;
  /** create the target's folder (0700) when it is missing */
  mkdir?: boolean;
  /**
   * false: still all or nothing for readers, but not flushed (no fsync of the file or the folder); for
   * a caller that syncs the file system itself later (an image build)
   */
  sync?: boolean;
}

/** fsync a folder, so a rename or an unlink in it is on disk */
export async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileAtomic(file: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(opts.tmpDir ?? dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o600);
  try {
    try {
      await fh.writeFile(data);
      if (opts.sync !== false) await fh.sync();
    } finally {
      await fh.close();
    }
    if (opts.mkdir) await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  if (opts.sync !== false) await syncDir(dir);
}
