/** Finds an executable as exec.LookPath does: an absolute or relative path as is, a bare name on PATH. */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../core/errors.js';

export function lookPath(name: string, envPath = process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'): string {
  const candidates = name.includes('/') ? [path.resolve(name)] : envPath.split(':').filter(Boolean).map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  throw invalidArgument(`exec: "${name}": executable file not found in $PATH`);
}
