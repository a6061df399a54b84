/**
 * Validation of one Compose file against the Compose Specification's JSON schema (ajv, draft-07). The
 * first error is reported with its model path, the rule it broke and the line of the YAML.
 *
 * The compiled schema is large: loading and first running it costs some 60 ms of CPU, most of what a
 * no-op `compose up` spends before it talks to the daemon. So a file found valid leaves a mark in the
 * user's cache (an empty file named by the hash of the schema and of the interpolated file), and the same
 * file is not validated again; the validator is loaded (`loadValidator`) only when a file has no mark.
 * A load that meets an unmarked file without the validator throws ValidatorNotLoaded: load it, load again.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { SCHEMA_ID } from './schema/id.js';
import { ComposeError, type ModelPath } from './errors.js';
import type { SourceFile } from './source.js';

interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

let compiled: ValidateFunction | undefined;

/** Loads the schema compiled ahead of time (schema/generate.mjs). */
export async function loadValidator(): Promise<void> {
  compiled ??= (await import('./schema/validator.js')).validate as ValidateFunction;
}

export class ValidatorNotLoaded extends Error {
  constructor() {
    super('the compose schema validator is not loaded');
  }
}

/** Where marks of valid files go: $BERTH_COMPOSE_CACHE, else $XDG_CACHE_HOME/berth/compose-valid (~/.cache); none without a home. */
export function validationCache(env: NodeJS.ProcessEnv): string | undefined {
  if (env.BERTH_COMPOSE_CACHE !== undefined) return env.BERTH_COMPOSE_CACHE || undefined;
  const base = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  return base ? join(base, 'berth', 'compose-valid') : undefined;
}

function toPath(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath.slice(1).split('/').map((p) => {
    const k = p.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(k) ? Number(k) : k;
  });
}

/** A message for one error, naming the rule (the schema keyword). */
function describe(e: ErrorObject): { path: ModelPath; message: string } {
  const path = toPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: [...path, String(p.additionalProperty)], message: `additional property ${String(p.additionalProperty)} is not allowed (additionalProperties)` };
    case 'type':
      return { path, message: `must be ${String(p.type).replace(/,/g, ' or ')} (type)` };
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (enum)` };
    case 'required':
      return { path, message: `${String(p.missingProperty)} is required (required)` };
    case 'pattern':
      return { path, message: `does not match pattern ${String(p.pattern)} (pattern)` };
    case 'uniqueItems':
      return { path, message: `must not hold duplicate items: #${String(p.j)} and #${String(p.i)} are equal (uniqueItems)` };
    default:
      return { path, message: `${e.message ?? 'is invalid'} (${e.keyword})` };
  }
}

/** Picks the error that tells most: the deepest path, preferring precise keywords over oneOf/anyOf summaries. */
function best(errors: ErrorObject[]): ErrorObject {
  const rank = (e: ErrorObject) => (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if' || e.keyword === 'not' ? 0 : 1);
  // additionalProperties errors name the key: count that as one level deeper
  const depth = (e: ErrorObject) => toPath(e.instancePath).length + (e.keyword === 'additionalProperties' ? 1 : 0);
  let pick = errors[0]!;
  for (const e of errors) {
    if (depth(e) > depth(pick) || (depth(e) === depth(pick) && rank(e) > rank(pick))) pick = e;
  }
  return pick;
}

/** Throws a ComposeError naming file, path, rule and line when `data` breaks the schema. */
export function validateModel(data: unknown, src: Pick<SourceFile, 'file' | 'lineOf'>, cache?: string): void {
  const mark = cache ? join(cache, createHash('sha256').update(`${SCHEMA_ID}\0${JSON.stringify(data)}`).digest('hex')) : undefined;
  if (mark && existsSync(mark)) return;
  if (!compiled) throw new ValidatorNotLoaded();
  const v = compiled;
  if (v(data)) {
    if (mark) {
      try {
        mkdirSync(dirname(mark), { recursive: true });
        writeFileSync(mark, '');
      } catch {
        // a cache that cannot be written only costs the next run a validation
      }
    }
    return;
  }
  const errors = v.errors ?? [];
  if (errors.length === 0) throw new ComposeError('invalid compose file', { file: src.file });
  const e = best(errors);
  const { path, message } = describe(e);
  throw new ComposeError(message, { file: src.file, path, line: src.lineOf(path) });
}
