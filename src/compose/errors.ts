/**
 * Compose errors: every problem found while loading a project names the file, the path inside the model
 * (`services.web.ports[0]`) and the YAML line where there is one, so the user can go straight to it.
 */

/** A path inside the compose model: keys and sequence indexes. */
export type ModelPath = readonly (string | number)[];

/** `services.web.ports[0]` */
export function formatPath(p: ModelPath): string {
  let s = '';
  for (const k of p) {
    if (typeof k === 'number') s += `[${k}]`;
    else s += s === '' ? k : `.${k}`;
  }
  return s;
}

export interface Where {
  file?: string;
  path?: ModelPath;
  line?: number;
}

/** A problem with the project's files or options; nothing has been created when it is thrown. */
export class ComposeError extends Error {
  readonly file?: string;
  readonly path?: ModelPath;
  readonly line?: number;
  /** exit status the CLI uses (docker compose uses 1 for most errors, 15 for config errors in v1) */
  readonly status: number;
  constructor(message: string, where: Where = {}, status = 1) {
    super(composeMessage(message, where));
    this.file = where.file;
    this.path = where.path;
    this.line = where.line;
    this.status = status;
  }
}

/** `compose.yaml:12: services.web.ports[0]: message` (each part only when known). */
export function composeMessage(message: string, where: Where): string {
  let prefix = '';
  if (where.file) prefix += where.line ? `${where.file}:${where.line}: ` : `${where.file}: `;
  if (where.path && where.path.length > 0) prefix += `${formatPath(where.path)}: `;
  return prefix + message;
}
