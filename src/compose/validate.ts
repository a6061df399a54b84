/**
 * Validation of one Compose file against the Compose Specification's JSON schema (ajv, draft-07). The
 * first error is reported with its model path, the rule it broke and the line of the YAML.
 */
import type { ErrorObject } from 'ajv';
import { validate as compiledValidate } from './schema/validator.js';
import { ComposeError, type ModelPath } from './errors.js';
import type { SourceFile } from './source.js';

interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** The schema compiled ahead of time (schema/generate.mjs). */
const validator = (): ValidateFunction => compiledValidate as ValidateFunction;

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
export function validateModel(data: unknown, src: Pick<SourceFile, 'file' | 'lineOf'>): void {
  const v = validator();
  if (v(data)) return;
  const errors = v.errors ?? [];
  if (errors.length === 0) throw new ComposeError('invalid compose file', { file: src.file });
  const e = best(errors);
  const { path, message } = describe(e);
  throw new ComposeError(message, { file: src.file, path, line: src.lineOf(path) });
}
