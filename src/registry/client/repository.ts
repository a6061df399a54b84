/**
 * One repository on one registry endpoint: the distribution API calls a pull or push makes. Every call
 * goes through `call`, which answers a 401 by learning the challenge and retrying once with credentials
 * (a bearer token for the call's scope, or basic auth). Errors carry the registry's own error codes
 * in Docker's wording (`manifest unknown: manifest unknown`).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BerthError, invalidArgument, unavailable, type ErrorKind } from '../../core/errors.js';
import { Authorizer, UnauthorizedError, type AuthConfig } from './auth.js';
import { endpointsFor, type Endpoint, type RegistryConfig } from './endpoints.js';
import { request, type HttpResponse, type ProxyConfig } from './http.js';
import { MANIFEST_ACCEPT } from './media.js';

/** Largest manifest accepted (distribution's own limit is 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 << 20;

export interface RegistryError {
  code: string;
  message?: string;
  detail?: unknown;
}

/** An error answered by a registry, with its HTTP status and error codes. */
export class RegistryCallError extends BerthError {
  constructor(kind: ErrorKind, message: string, readonly status: number, readonly codes: string[]) {
    super(kind, message);
  }
}

function describe(errors: RegistryError[]): string {
  return errors.map((e) => `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message ?? e.code.toLowerCase().replace(/_/g, ' ')}`).join(', ');
}

async function registryError(res: HttpResponse, what: string): Promise<RegistryCallError> {
  const text = await res.text(64 << 10).catch(() => '');
  let errors: RegistryError[] = [];
  try {
    const parsed = JSON.parse(text) as { errors?: RegistryError[] };
    if (Array.isArray(parsed.errors)) errors = parsed.errors.filter((e) => e && typeof e.code === 'string');
  } catch {
    // not the registry's error JSON
  }
  const codes = errors.map((e) => e.code);
  const msg = errors.length ? describe(errors) : `${what}: unexpected status ${res.status}`;
  const kind: ErrorKind = res.status === 404 ? 'NotFound' : res.status === 401 || res.status === 403 ? 'Forbidden' : res.status === 400 ? 'InvalidArgument' : 'Unavailable';
  return new RegistryCallError(kind, msg, res.status, codes);
}

export interface CallOptions {
  method: string;
  /** path after the endpoint, starting with /v2/, or an absolute URL (upload locations) */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  bodyLength?: number;
  /** extra scopes (cross-repository mount needs pull on the source) */
  scopes?: string[];
  followRedirects?: boolean;
}

export interface SessionOptions {
  creds?: AuthConfig;
  proxy?: ProxyConfig;
  signal?: AbortSignal;
  headerTimeoutMs?: number;
  idleTimeoutMs?: number;
}

/**
 * A connection to a registry: a working endpoint (the first that answers `GET /v2/`) and the authorizer
 * that holds its credentials and tokens.
 */
export class RegistrySession {
  private constructor(
    readonly endpoint: Endpoint,
    readonly base: string,
    readonly auth: Authorizer,
    readonly opts: SessionOptions,
  ) {}

  /** Pings each endpoint in order and keeps the first that speaks the v2 API (200 or 401). */
  static async connect(domain: string, cfg: RegistryConfig, purpose: 'pull' | 'push', opts: SessionOptions = {}): Promise<RegistrySession[]> {
    const sessions: RegistrySession[] = [];
    let lastErr: unknown;
    for (const ep of await endpointsFor(domain, cfg, purpose)) {
      const bases = ep.httpFallback ? [ep.url, ep.url.replace(/^https:/, 'http:')] : [ep.url];
      for (const base of bases) {
        try {
          const auth = new Authorizer(opts.creds, { signal: opts.signal, proxy: cfg.proxy });
          const res = await request({ method: 'GET', url: `${base}/v2/`, signal: opts.signal, headerTimeoutMs: opts.headerTimeoutMs ?? 15_000, idleTimeoutMs: opts.idleTimeoutMs, proxy: cfg.proxy });
          await res.drain();
          if (res.status === 401) auth.learn(res.headers['www-authenticate']);
          else if (res.status !== 200) throw unavailable(`${base}/v2/: registry answered status ${res.status}`);
          sessions.push(new RegistrySession(ep, base, auth, { ...opts, proxy: cfg.proxy }));
          break;
        } catch (err) {
          lastErr = err;
          if (opts.signal?.aborted) throw err;
          // an insecure registry: any failure over https (usually a TLS handshake with a plain-http server) moves to http
          if (base.startsWith('https:') && bases.length > 1) continue;
        }
      }
    }
    if (sessions.length === 0) {
      const e = lastErr as Error | undefined;
      throw unavailable(`Get "${(await endpointsFor(domain, cfg, purpose)).at(-1)!.url}/v2/": ${e?.message ?? 'no endpoint answered'}`, e);
    }
    return sessions;
  }

  repository(path: string): Repository {
    return new Repository(this, path);
  }
}

export class Repository {
  constructor(
    readonly session: RegistrySession,
    readonly path: string,
  ) {}

  private scope(actions: string): string {
    return `repository:${this.path}:${actions}`;
  }

  /** A request with auth: on 401, learn the challenge (or refresh the token) and retry once. */
  async call(actions: string, o: CallOptions): Promise<HttpResponse> {
    const s = this.session;
    const url = /^https?:\/\//.test(o.path) ? o.path : `${s.base}${o.path}`;
    const scope = [this.scope(actions), ...(o.scopes ?? [])].join(' ');
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      let authz: string | undefined;
      try {
        authz = await s.auth.authorize(scope);
      } catch (err) {
        if (err instanceof UnauthorizedError) throw new RegistryCallError('Forbidden', err.message, err.status, ['UNAUTHORIZED']);
        throw err;
      }
      if (authz) headers.Authorization = authz;
      const res = await request({
        method: o.method, url, headers, body: o.body, bodyLength: o.bodyLength, signal: s.opts.signal,
        headerTimeoutMs: s.opts.headerTimeoutMs, idleTimeoutMs: s.opts.idleTimeoutMs, followRedirects: o.followRedirects, proxy: s.opts.proxy,
      });
      if (res.status === 401 && attempt === 0) {
        const fresh = s.auth.learn(res.headers['www-authenticate']);
        s.auth.forget(scope);
        if (fresh || authz !== undefined) {
          await res.drain();
          continue;
        }
      }
      return res;
    }
  }

  /** GET a manifest by tag or digest; verifies the bytes against a digest reference. */
  async getManifest(reference: string): Promise<{ bytes: Buffer; mediaType: string | undefined; digest: string }> {
    const res = await this.call('pull', { method: 'GET', path: `/v2/${this.path}/manifests/${reference}`, headers: { Accept: MANIFEST_ACCEPT } });
    if (res.status !== 200) throw await registryError(res, `manifest ${reference}`);
    const len = Number(res.headers['content-length'] ?? '0');
    if (len > MAX_MANIFEST_BYTES) {
      res.body.destroy();
      throw invalidArgument(`manifest ${reference} is too large (${len} bytes, limit ${MAX_MANIFEST_BYTES})`);
    }
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res.body) {
      n += (c as Buffer).length;
      if (n > MAX_MANIFEST_BYTES) {
        res.body.destroy();
        throw invalidArgument(`manifest ${reference} is too large (more than ${MAX_MANIFEST_BYTES} bytes)`);
      }
      chunks.push(c as Buffer);
    }
    const bytes = Buffer.concat(chunks);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw invalidArgument(`manifest verification failed for digest ${reference}`);
    }
    const header = res.headers['docker-content-digest'];
    if (!reference.includes(':') && typeof header === 'string' && header.startsWith('sha256:') && header !== digest) {
      throw invalidArgument(`manifest verification failed: registry says ${header}, content is ${digest}`);
    }
    return { bytes, mediaType: res.headers['content-type'], digest };
  }

  /** All tags of the repository, following `Link` pagination. */
  async tags(): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = `/v2/${this.path}/tags/list?n=1000`;
    for (let pages = 0; next && pages < 1000; pages++) {
      const res = await this.call('pull', { method: 'GET', path: next });
      if (res.status !== 200) throw await registryError(res, 'tags list');
      const body = JSON.parse(await res.text(8 << 20)) as { tags?: unknown };
      if (Array.isArray(body.tags)) out.push(...body.tags.filter((t): t is string => typeof t === 'string'));
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ''))?.[1];
      next = link ? new URL(link, `${this.session.base}/`).toString() : undefined;
    }
    return out;
  }

  /** GET a blob, from `offset` on (a Range request); the response body streams it. */
  async openBlob(digest: string, offset = 0): Promise<{ body: Readable; partial: boolean; length: number | undefined }> {
    const headers: Record<string, string> = {};
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    const res = await this.call('pull', { method: 'GET', path: `/v2/${this.path}/blobs/${digest}`, headers });
    if (res.status !== 200 && res.status !== 206) throw await registryError(res, `blob ${digest}`);
    const len = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
    return { body: res.body, partial: res.status === 206, length: len };
  }

  /** HEAD a blob: its size if the repository has it. */
  async statBlob(digest: string): Promise<number | undefined> {
    const res = await this.call('pull,push', { method: 'HEAD', path: `/v2/${this.path}/blobs/${digest}` });
    await res.drain();
    if (res.status === 200) return Number(res.headers['content-length'] ?? '0');
    if (res.status === 404) return undefined;
    throw await registryError(res, `blob ${digest}`);
  }

  /**
   * Asks the registry to mount a blob from another repository. Returns true if mounted; otherwise the
   * location of the upload session the registry opened instead.
   */
  async mountBlob(digest: string, from: string): Promise<{ mounted: true } | { mounted: false; location: string }> {
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.call('pull,push', { method: 'POST', path: `/v2/${this.path}/blobs/uploads/?${q}`, scopes: [`repository:${from}:pull`], followRedirects: false });
    await res.drain();
    if (res.status === 201) return { mounted: true };
    if (res.status === 202 && res.headers.location) return { mounted: false, location: this.resolve(res.headers.location) };
    throw await registryError(res, `mount of ${digest}`);
  }

  async startUpload(): Promise<string> {
    const res = await this.call('pull,push', { method: 'POST', path: `/v2/${this.path}/blobs/uploads/`, followRedirects: false, body: Buffer.alloc(0) });
    await res.drain();
    if (res.status !== 202 || !res.headers.location) throw await registryError(res, 'upload');
    return this.resolve(res.headers.location);
  }

  /** Streams a chunk (the rest of the blob) to an upload session; returns the next location. */
  async patchUpload(location: string, body: () => Readable, length?: number): Promise<string> {
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    const res = await this.call('pull,push', { method: 'PATCH', path: location, headers, body, bodyLength: length, followRedirects: false });
    await res.drain();
    if (res.status !== 202) throw await registryError(res, 'blob upload');
    return res.headers.location ? this.resolve(res.headers.location) : location;
  }

  /** How many bytes an upload session holds (for resuming it). */
  async uploadOffset(location: string): Promise<number> {
    const res = await this.call('pull,push', { method: 'GET', path: location, followRedirects: false });
    await res.drain();
    if (res.status !== 204) throw await registryError(res, 'upload status');
    const m = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''));
    return m ? Number(m[1]) + 1 : 0;
  }

  async finishUpload(location: string, digest: string): Promise<void> {
    const u = new URL(location);
    u.searchParams.set('digest', digest);
    const res = await this.call('pull,push', { method: 'PUT', path: u.toString(), headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(0), followRedirects: false });
    await res.drain();
    if (res.status !== 201 && res.status !== 204) throw await registryError(res, `upload of ${digest}`);
  }

  async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const res = await this.call('pull,push', { method: 'PUT', path: `/v2/${this.path}/manifests/${reference}`, headers: { 'Content-Type': mediaType }, body: bytes, followRedirects: false });
    await res.drain();
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await registryError(res, `manifest ${reference}`);
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  }

  private resolve(location: string): string {
    return new URL(location, `${this.session.base}/`).toString();
  }
}
