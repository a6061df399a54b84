/**
 * Error kinds, as containerd's errdefs: domain code throws these, the HTTP layer maps them to statuses
 * once (src/server/status.ts) and the client maps statuses back (src/client/errors.ts).
 * Messages follow one style: lowercase, no trailing period, naming the object.
 */
export type ErrorKind =
  | 'NotFound'
  | 'Conflict'
  | 'InvalidArgument'
  | 'NotModified'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Unavailable'
  | 'NotImplemented'
  | 'Internal';

export class BerthError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = `${kind}Error`;
  }
}

export const notFound = (msg: string, cause?: unknown) => new BerthError('NotFound', msg, { cause });
export const conflict = (msg: string, cause?: unknown) => new BerthError('Conflict', msg, { cause });
export const invalidArgument = (msg: string, cause?: unknown) => new BerthError('InvalidArgument', msg, { cause });
export const notModified = (msg: string) => new BerthError('NotModified', msg);
export const forbidden = (msg: string) => new BerthError('Forbidden', msg);
export const unauthorized = (msg: string, cause?: unknown) => new BerthError('Unauthorized', msg, { cause });
export const unavailable = (msg: string, cause?: unknown) => new BerthError('Unavailable', msg, { cause });
export const notImplemented = (msg: string) => new BerthError('NotImplemented', msg);
export const internal = (msg: string, cause?: unknown) => new BerthError('Internal', msg, { cause });

export function isKind(err: unknown, kind: ErrorKind): boolean {
  return err instanceof BerthError && err.kind === kind;
}

/** The errno code of a Node system error, if any. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
