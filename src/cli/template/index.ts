/**
 * Go text/template for `berth inspect -f` and the `--format` flags, with the docker CLI's functions.
 * parseTemplate once, render many times; renderTemplate does both. Errors are InvalidArgument with Go's
 * wording: `template: :1: function "foo" not defined`, `template: :1:2: executing "" at <.X.Y>: …`.
 */
import { invalidArgument } from '../../core/errors.js';
import { execute } from './exec.js';
import { FUNCS } from './funcs.js';
import { TemplateSyntaxError } from './lex.js';
import { parse } from './parse.js';
import type { ParsedTemplate } from './parse.js';

export type { ParsedTemplate } from './parse.js';
export { printValue, sprintf, MISSING } from './format.js';
export { toJSON } from './funcs.js';

const FUNC_NAMES: ReadonlySet<string> = new Set(Object.keys(FUNCS));

/** Parses a template; the result can be rendered any number of times. */
export function parseTemplate(source: string): ParsedTemplate {
  try {
    return parse(source, FUNC_NAMES);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) {
      const line = source.slice(0, e.pos).split('\n').length;
      throw invalidArgument(`template: :${line}: ${e.message}`, e);
    }
    throw e;
  }
}

/** Renders `tmpl` (source or parsed) against JSON-shaped data. */
export function renderTemplate(tmpl: string | ParsedTemplate, data: unknown): string {
  return execute(typeof tmpl === 'string' ? parseTemplate(tmpl) : tmpl, data);
}
