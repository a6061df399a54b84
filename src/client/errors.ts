/**
 * The one mapping from an HTTP status and Docker error body back to error kinds (the inverse of
 * src/server/status.ts). Docker's message text is kept verbatim so the CLI prints it as docker does.
 */
import { BerthError, type ErrorKind } from '../core/errors.js';

/** An error response from the daemon: the kind, the HTTP status and Docker's message. */
export class DaemonError extends BerthError {
  readonly statusCode: number;
  constructor(kind: ErrorKind, statusCode: number, message: string) {
    super(kind, message);
    this.statusCode = statusCode;
  }
}

/** The daemon could not be reached at all (socket missing, connection refused). */
export class ConnectionError extends BerthError {
  readonly host: string;
  constructor(host: string, cause: unknown) {
    super('Unavailable', `Cannot connect to the berth daemon at ${host}. Is the berth daemon running?`, { cause });
    this.host = host;
  }
}

export function kindForStatus(status: number): ErrorKind {
  if (status === 304) return 'NotModified';
  if (status === 400) return 'InvalidArgument';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 501) return 'NotImplemented';
  if (status === 503) return 'Unavailable';
  return 'Internal';
}

/** Builds the error for a non-2xx response from its status and raw body. */
export function errorFromResponse(status: number, body: string): DaemonError {
  let message = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') {
      message = (parsed as { message: string }).message;
    }
  } catch {
    // not JSON: docker shows the raw text
  }
  if (message === '') message = status === 304 ? 'not modified' : `page not found`;
  return new DaemonError(kindForStatus(status), status, message);
}

/** `Error response from daemon: <message>` for daemon errors, the bare message otherwise. */
export function describeError(err: unknown): string {
  if (err instanceof DaemonError) return `Error response from daemon: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
