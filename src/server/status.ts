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

/**
 * The status of an error: the kind of the first BerthError in its `cause` chain (a wrapped error keeps
 * its kind), else 500.
 */
export function httpStatus(err: unknown): number {
  for (let e = err, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) {
    if (e instanceof BerthError) return statusOf[e.kind];
  }
  return 500;
}
