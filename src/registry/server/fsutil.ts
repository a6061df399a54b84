/** Small filesystem helpers of the registry's storage: atomic small-file writes and tolerant reads. */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { writeFileAtomic as atomicWrite } from '../../host/index.js';


/** The path (or a parent of it) does not exist. */
function isAbsent(err: unknown): boolean {
  return errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR';
}

/** `dest` written atomically through a temp file in `tmpDir` (same filesystem), its folder made if missing. */
export function writeFileAtomic(tmpDir: string, dest: string, data: string | Buffer): Promise<void> {
  return atomicWrite(dest, data, { tmpDir, mkdir: true });
}

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

/** Entries of a directory, or [] when it does not exist. */
export async function readDirIfExists(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch (err) {
    if (isAbsent(err)) return false;
    throw err;
  }
}

/** Removes a file; true when it existed. */
export async function removeFile(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (err) {
    if (isAbsent(err)) return false;
    throw err;
  }
}

/** Modification time in ms, or undefined when the file does not exist. */
export async function mtimeMs(p: string): Promise<number | undefined> {
  try {
    return (await fs.stat(p)).mtimeMs;
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}
