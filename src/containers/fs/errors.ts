/**
 * Errors of the archive API in the container's terms. The file system code works through descriptors
 * (`/proc/<daemon pid>/fd/<n>/<name>`), so a system error names such a path; a container that swaps
 * directories and symlinks while a copy runs makes those errors happen on purpose. The client gets a
 * 4xx naming its own path, never a daemon-internal one: the path changed under the copy (409, retry),
 * is refused (403, 400), or is gone (404). Only a failure of the host itself (no space, I/O) stays 5xx.
 */
import { BerthError, type ErrorKind } from '../../core/errors.js';

// EINVAL: readlink of what was a symlink a moment ago
const CHANGED = new Set(['EINVAL', 'ENOENT', 'ELOOP', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY', 'EISDIR', 'EXDEV', 'EBUSY', 'ESTALE', 'EMLINK']);
const HOST_PATH = /\/proc\/\d+\/(?:fd\/\d+|root)(?:\/[^\s'",)]*)?/g;

/** Replaces daemon-internal paths in a message by the container path the request named. */
export function scrubHostPaths(message: string, ctrPath: string): string {
  return message.replace(HOST_PATH, ctrPath);
}

/** The error to answer for `e`, raised while the archive API worked on `ctrPath` in a container. */
export function inContainerTerms(e: unknown, ctrPath: string): unknown {
  if (e instanceof BerthError) {
    return e.message.search(HOST_PATH) >= 0 ? new BerthError(e.kind, scrubHostPaths(e.message, ctrPath), { cause: e }) : e;
  }
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  if (!/^E[A-Z]+$/.test(code)) return e;
  const at = JSON.stringify(ctrPath);
  let kind: ErrorKind = 'Internal';
  let message = `copying ${at} failed (${code})`;
  if (CHANGED.has(code)) {
    kind = 'Conflict';
    message = `the container changed the path ${at} while it was being copied (${code}): try again`;
  } else if (code === 'EACCES' || code === 'EPERM') {
    kind = 'Forbidden';
    message = `permission denied: ${at}`;
  } else if (code === 'EROFS') {
    kind = 'InvalidArgument';
    message = `read-only file system: ${at}`;
  } else if (code === 'ENAMETOOLONG') {
    kind = 'InvalidArgument';
    message = `file name too long: ${at}`;
  } else if (code === 'ENOSPC' || code === 'EDQUOT') {
    message = `no space left on device while copying ${at}`;
  }
  return new BerthError(kind, message, { cause: e });
}
