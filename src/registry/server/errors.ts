/**
 * Errors of the distribution protocol: the spec's codes (OCI distribution spec, "Error Codes"), each with
 * its HTTP status, mapped here once. The registry's domain operations throw RegistryError; the HTTP layer
 * renders it as `{"errors":[{"code","message","detail"}]}`. The storage underneath throws Berth's error
 * kinds (src/core/errors.ts) and the registry translates them where the protocol needs a specific code.
 */

export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'UNKNOWN';

/** The status of each code (as distribution answers them); a RegistryError may override it (413, 416). */
const STATUS: Record<RegistryErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  UNKNOWN: 500,
};

export interface ErrorEntry {
  code: RegistryErrorCode;
  message: string;
  detail?: unknown;
}

/** One protocol error response, holding one or more entries (a manifest may miss several blobs). */
export class RegistryError extends Error {
  readonly status: number;
  readonly entries: ErrorEntry[];
  /** extra response headers (`Range` on a 416, `WWW-Authenticate` on a 401) */
  readonly headers: Record<string, string>;

  constructor(entries: ErrorEntry[], opts: { status?: number; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(entries.map((e) => e.message).join('; '), { cause: opts.cause });
    this.name = 'RegistryError';
    this.entries = entries;
    this.status = opts.status ?? STATUS[entries[0]?.code ?? 'UNKNOWN'];
    this.headers = opts.headers ?? {};
  }

  get code(): RegistryErrorCode {
    return this.entries[0]?.code ?? 'UNKNOWN';
  }

  body(): { errors: ErrorEntry[] } {
    return { errors: this.entries.map((e) => ({ code: e.code, message: e.message, detail: e.detail ?? null })) };
  }
}

export function registryError(
  code: RegistryErrorCode,
  message: string,
  opts: { detail?: unknown; status?: number; headers?: Record<string, string>; cause?: unknown } = {},
): RegistryError {
  return new RegistryError([{ code, message, detail: opts.detail }], opts);
}

export const blobUnknown = (digest: string) => registryError('BLOB_UNKNOWN', `blob unknown to registry: ${digest}`, { detail: { digest } });
export const manifestUnknown = (ref: string) =>
  registryError('MANIFEST_UNKNOWN', `manifest unknown to registry: ${ref}`, { detail: { reference: ref } });
export const nameUnknown = (name: string) =>
  registryError('NAME_UNKNOWN', `repository name not known to registry: ${name}`, { detail: { name } });
export const uploadUnknown = (uuid: string) =>
  registryError('BLOB_UPLOAD_UNKNOWN', `blob upload unknown to registry: ${uuid}`, { detail: { uuid } });
export const digestInvalid = (message: string, detail?: unknown) => registryError('DIGEST_INVALID', message, { detail });
export const manifestInvalid = (message: string, detail?: unknown) => registryError('MANIFEST_INVALID', message, { detail });
