/**
 * Which Compose files make a project, and which environment interpolates them: the lookup order
 * (`compose.yaml`, `compose.yml`, `docker-compose.yaml`, `docker-compose.yml` in the directory or its
 * parents, plus the matching override file), `-f` / COMPOSE_FILE, `.env` / `--env-file`, and the project
 * name rules.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ComposeError } from './errors.js';
import { envMap, EnvFileError, parseEnvFile } from './envfile.js';

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDES: Record<string, string[]> = {
  'compose.yaml': ['compose.override.yaml', 'compose.override.yml'],
  'compose.yml': ['compose.override.yml', 'compose.override.yaml'],
  'docker-compose.yaml': ['docker-compose.override.yaml', 'docker-compose.override.yml'],
  'docker-compose.yml': ['docker-compose.override.yml', 'docker-compose.override.yaml'],
};

/** Finds the default file in `dir` or the nearest parent, with its override file if there is one. */
export function lookupFiles(dir: string): string[] {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    for (const f of DEFAULT_FILES) {
      const p = path.join(d, f);
      if (existsSync(p)) {
        const out = [p];
        const o = OVERRIDES[f]!.map((x) => path.join(d, x)).find((x) => existsSync(x));
        if (o) out.push(o);
        return out;
      }
    }
    if (path.dirname(d) === d) break;
  }
  throw new ComposeError(`no configuration file provided: not found (looked for ${DEFAULT_FILES.join(', ')} in ${dir} and its parents)`);
}

/** Reads env files in order (later ones win); a missing default `.env` is no error, a named one is. */
export function readEnvFiles(files: string[], required: boolean, lookup: (n: string) => string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ComposeError(`couldn't read env file: ${(err as Error).message}`, { file: f });
    }
    try {
      for (const [k, v] of envMap(parseEnvFile(text, (n) => lookup(n) ?? out[n]))) out[k] = v;
    } catch (err) {
      if (err instanceof EnvFileError) throw new ComposeError(err.message, { file: f, line: err.line });
      throw err;
    }
  }
  return out;
}

const VALID_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** A name from a folder: lowercased, characters outside [a-z0-9_-] dropped (as compose does). */
export function normalizeProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

/**
 * The project name: `-p`, then COMPOSE_PROJECT_NAME, then the top-level `name`, then the folder. An
 * explicit name must already be valid; the folder's name is normalized.
 */
export function projectName(flag: string | undefined, envName: string | undefined, topLevel: string | undefined, workingDir: string): string {
  for (const [n, from] of [[flag, '-p'], [envName, 'COMPOSE_PROJECT_NAME'], [topLevel, 'name']] as const) {
    if (n === undefined || n === '') continue;
    if (!VALID_NAME.test(n)) throw new ComposeError(`invalid project name "${n}" (from ${from}): must contain only lowercase letters, decimal digits, dashes and underscores, and must begin with a lowercase letter or decimal digit`);
    return n;
  }
  const n = normalizeProjectName(path.basename(workingDir));
  if (n === '') throw new ComposeError(`project name must not be empty: the folder name "${path.basename(workingDir)}" has no usable characters; use -p`);
  return n;
}
