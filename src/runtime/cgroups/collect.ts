/**
 * Reading a container's cgroup files: the I/O half of stats.ts, plus the OOM-kill check behind
 * State.OOMKilled.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import {
  V1_STAT_FILES, V2_STAT_FILES, oomKillCount, parseProcStat, statsFromV1, statsFromV2, type CgroupFiles,
} from './stats.js';
import type { CgroupPaths, ContainerStats, V1Controller } from './types.js';

/** The directory holding a cgroup file: for v1 the one of the controller that names the file. */
export function fileDir(paths: CgroupPaths, file: string): string | undefined {
  if (paths.version === 2) return paths.dir;
  return paths.dirs[file.slice(0, file.indexOf('.')) as V1Controller];
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    // gone (no such controller, or the cgroup was removed) or not supported by this kernel
    if (code === 'ENOENT' || code === 'ENODEV' || code === 'EOPNOTSUPP' || code === 'ENOTSUP') return undefined;
    throw err;
  }
}

/** The contents of those of `files` that exist for this cgroup. */
export async function readCgroupFiles(paths: CgroupPaths, files: readonly string[]): Promise<CgroupFiles> {
  const out: Record<string, string> = {};
  await Promise.all(files.map(async (name) => {
    const dir = fileDir(paths, name);
    const text = dir === undefined ? undefined : await readIfExists(path.join(dir, name));
    if (text !== undefined) out[name] = text;
  }));
  return out;
}

export interface ReadStatsOptions {
  /** Time of the sample; now unless told. */
  now?: Date;
  /** Host memory in bytes; os.totalmem() unless told. */
  machineMemory?: number;
  /** Where procfs is mounted; "/proc" unless told. */
  proc?: string;
}

/**
 * One stats sample of a cgroup, as Docker's /containers/{id}/stats body; preread/precpu_stats are empty
 * (stats.ts withPrevious fills them from the previous sample), name/id/networks are the caller's.
 */
export async function readStats(paths: CgroupPaths, opts: ReadStatsOptions = {}): Promise<ContainerStats> {
  const [files, procStat] = await Promise.all([
    readCgroupFiles(paths, paths.version === 1 ? V1_STAT_FILES : V2_STAT_FILES),
    readFile(path.join(opts.proc ?? '/proc', 'stat'), 'utf8'),
  ]);
  const ctx = {
    read: (opts.now ?? new Date()).toISOString(),
    ...parseProcStat(procStat),
    machineMemory: opts.machineMemory ?? os.totalmem(),
  };
  return paths.version === 1 ? statsFromV1(files, ctx) : statsFromV2(files, ctx);
}

/**
 * Whether the kernel OOM-killed a process of this cgroup (v1 memory.oom_control, v2 memory.events:
 * "oom_kill N"). The counter lives as long as the cgroup: ask after the container exits and before
 * `runc delete` removes the cgroup. False when the files are gone.
 */
export async function oomKilled(paths: CgroupPaths): Promise<boolean> {
  const file = paths.version === 1 ? 'memory.oom_control' : 'memory.events';
  const dir = fileDir(paths, file);
  const text = dir === undefined ? undefined : await readIfExists(path.join(dir, file));
  return text !== undefined && oomKillCount(text) > 0;
}
