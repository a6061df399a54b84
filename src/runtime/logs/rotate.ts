/**
 * Log rotation for json-file-like options (`max-size`, `max-file`). The decision and the rename plan are
 * pure; `LogRotator.rotate` executes the plan. Telling conmon to reopen its log afterwards is the caller's
 * job. Files: `path` is the current log, `path.1` the newest rotated one, `path.N` the oldest.
 */
import { promises as fsp } from 'node:fs';
import { errnoCode, invalidArgument } from '../../core/errors.js';
import { ramInBytes } from '../../core/units.js';

/** go-units RAMInBytes, as Docker parses max-size: "10m", "1k", "1.5g", "512", "10MiB", "1 GB" (binary units). */
export function parseSize(size: string): number {
  try {
    return ramInBytes(size);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
}

export interface LogOptions {
  /** Bytes; -1 = unlimited (no rotation). */
  maxSize: number;
  /** Files kept in total, the current one included; at least 1. */
  maxFile: number;
}

/** HostConfig.LogConfig.Config → rotation options, validated as Docker's json-file driver does. */
export function parseLogOptions(config: Record<string, string> | null | undefined): LogOptions {
  const cfg = config ?? {};
  for (const key of Object.keys(cfg)) {
    if (!['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag', 'mode', 'max-buffer-size'].includes(key)) {
      throw invalidArgument(`unknown log opt '${key}' for json-file log driver`);
    }
  }
  let maxSize = -1;
  const rawSize = cfg['max-size'];
  if (rawSize !== undefined && rawSize !== '' && rawSize !== '-1') maxSize = parseSize(rawSize);
  let maxFile = 1;
  const rawFile = cfg['max-file'];
  if (rawFile !== undefined && rawFile !== '') {
    if (!/^-?\d+$/.test(rawFile)) throw invalidArgument(`invalid value for max-file: ${rawFile}`);
    maxFile = Number(rawFile);
    if (maxFile < 1) throw invalidArgument('max-file cannot be less than 1');
  }
  return { maxSize, maxFile };
}

export interface RotationPlan {
  /** Removed first (ENOENT ignored). */
  deletes: string[];
  /** Then renamed in order, oldest first (ENOENT ignored). */
  renames: [from: string, to: string][];
}

/** path.N-1 → path.N … path → path.1, dropping what falls beyond maxFile; maxFile 1 just removes path. */
export function planRotation(path: string, maxFile: number): RotationPlan {
  if (maxFile <= 1) return { deletes: [path], renames: [] };
  const renames: [string, string][] = [];
  for (let i = maxFile - 2; i >= 1; i--) renames.push([`${path}.${i}`, `${path}.${i + 1}`]);
  renames.push([path, `${path}.1`]);
  return { deletes: [`${path}.${maxFile - 1}`], renames };
}

/** The log files that exist, oldest first: path.(maxFile-1) … path.1, path. */
export async function listLogFiles(path: string, maxFile: number): Promise<string[]> {
  const candidates: string[] = [];
  for (let i = Math.max(1, maxFile) - 1; i >= 1; i--) candidates.push(`${path}.${i}`);
  candidates.push(path);
  const present = await Promise.all(candidates.map(async (p) => {
    try {
      return (await fsp.stat(p)).isFile();
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }));
  return candidates.filter((_, i) => present[i]);
}

export class LogRotator {
  readonly path: string;
  readonly maxSize: number;
  readonly maxFile: number;

  constructor(opts: { path: string } & LogOptions) {
    this.path = opts.path;
    this.maxSize = opts.maxSize;
    this.maxFile = Math.max(1, opts.maxFile);
  }

  /** Pure: whether a log of `size` bytes must be rotated. */
  shouldRotate(size: number): boolean {
    return this.maxSize > 0 && size >= this.maxSize;
  }

  plan(): RotationPlan {
    return planRotation(this.path, this.maxFile);
  }

  /** Executes the rotation plan. */
  async rotate(): Promise<void> {
    const { deletes, renames } = this.plan();
    for (const p of deletes) {
      await fsp.unlink(p).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw err;
      });
    }
    for (const [from, to] of renames) {
      await fsp.rename(from, to).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw err;
      });
    }
  }

  /** Rotates when the current file has reached max-size; true when it did. */
  async rotateIfNeeded(): Promise<boolean> {
    if (this.maxSize <= 0) return false;
    let size: number;
    try {
      size = (await fsp.stat(this.path)).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
    if (!this.shouldRotate(size)) return false;
    await this.rotate();
    return true;
  }
}
