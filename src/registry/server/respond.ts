/** HTTP helpers of the registry: responses, bounded bodies, pagination, byte ranges. */
import type http from 'node:http';
import { registryError, RegistryError } from './errors.js';

export type Headers = Record<string, string | number | string[]>;

export function send(res: http.ServerResponse, status: number, headers: Headers = {}, body?: Buffer | string): void {
  const buf = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  // a 204 carries no Content-Length (RFC 9110 section 8.6)
  if (status !== 204 && !res.hasHeader('Content-Length')) res.setHeader('Content-Length', buf?.length ?? 0);
  res.end(status === 204 ? undefined : buf);
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Headers = {}): void {
  send(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

export function sendError(res: http.ServerResponse, err: RegistryError, extra: Headers = {}): void {
  sendJson(res, err.status, err.body(), { ...err.headers, ...extra });
}

/**
 * Reads a whole (small) body; rejects with `tooLarge()` past `limit` bytes without buffering more. The
 * rest of an oversized body is drained, not cut off, so the error response still reaches the client.
 */
export function readBody(req: http.IncomingMessage, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) return;
      if (size > limit) {
        over = true;
        chunks = [];
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** True when the request carries a body (a length above 0, or chunked). */
export function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

export const MAX_PAGE = 1000;

/**
 * One page of a sorted list: the entries after `last`, at most `n` (or `cap` when `n` is absent). When
 * entries remain, `next` is the query of the next page (`n` and `last`), for a `Link: <...>; rel="next"`.
 */
export function paginate(items: string[], query: URLSearchParams, cap?: number): { page: string[]; next?: URLSearchParams } {
  const nParam = query.get('n');
  let n: number | undefined;
  if (nParam !== null && nParam !== '') {
    if (!/^\d+$/.test(nParam)) throw registryError('UNSUPPORTED', `invalid page size n: ${JSON.stringify(nParam)}`, { status: 400 });
    n = Number(nParam);
  }
  const limit = n === undefined ? cap : cap === undefined ? n : Math.min(n, cap);
  const last = query.get('last');
  const rest = last ? items.filter((x) => x > last) : items;
  if (limit === undefined || rest.length <= limit) return { page: rest };
  const page = rest.slice(0, limit);
  if (page.length === 0) return { page };
  return { page, next: new URLSearchParams({ n: String(limit), last: page[page.length - 1] }) };
}

export function linkHeader(path: string, next: URLSearchParams): string {
  return `<${path}?${next.toString()}>; rel="next"`;
}

export type RangeResult = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * A single byte range of a `Range` header (RFC 9110 section 14) over `size` bytes: undefined when there
 * is no usable header (absent, malformed or several ranges: the whole body is sent).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  return { start, end: Math.min(end, size - 1) };
}

/** `Content-Range` of an upload chunk: `<start>-<end>` (also accepting a `bytes ` prefix and `/total`). */
export function parseContentRange(header: string | undefined): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m || Number(m[2]) < Number(m[1])) {
    throw registryError('BLOB_UPLOAD_INVALID', `invalid Content-Range: ${JSON.stringify(header)}`, { status: 416 });
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}
