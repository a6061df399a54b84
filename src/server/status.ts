/** The one mapping from error kinds to HTTP statuses (moby's httpstatus). */
import { BerthError, type ErrorKind } from '../core/errors.js';

const statusOf: Record<ErrorKind, number> = {
  NotFound: 404,
  Conflict: 409,
  InvalidArgument: 400,
  NotModified: 304,
  Forbidden: 403,
  Unauthorized: 401,
  Unavailable: 503,
  NotImplemented: 501,
  Internal: 500,
};

export function httpStatus(err: unknown): number {
  return err instanceof BerthError ? statusOf[err.kind] : 500;
}
