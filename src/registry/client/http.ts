/**
 * The one HTTP primitive the distribution client uses: a request over node:http/https with keep-alive
 * agents, a deadline for the response headers and an idle timeout on the body (a registry that hangs gets
 * an error, not a stuck pull), redirects followed (blob downloads are often redirected to a CDN; the
 * Authorization header is only sent to the origin it was meant for), and cancellation by AbortSignal.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { unavailable } from '../../core/errors.js';

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** a buffer, or a stream factory (called again on retry) with its length when known */
  body?: Buffer | (() => Readable);
  bodyLength?: number;
  signal?: AbortSignal;
  /** give up if the response headers have not arrived within this many ms (default 60 s) */
  headerTimeoutMs?: number;
  /** give up if the connection is silent this long (default 60 s) */
  idleTimeoutMs?: number;
  /** follow 3xx (default true for GET/HEAD) */
  followRedirects?: boolean;
  /** extra CA certificates (PEM) for this host */
  ca?: string | Buffer;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** the URL that finally answered (after redirects) */
  url: string;
  body: IncomingMessage;
  /** Reads the whole body (bounded). */
  text(limit?: number): Promise<string>;
  /** Discards the body. */
  drain(): Promise<void>;
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

const MAX_REDIRECTS = 10;

/** True for errors worth retrying: the connection broke, not the server said no. */
export function isTransient(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'BERTH_IDLE'].includes(code);
}

export async function request(req: HttpRequest): Promise<HttpResponse> {
  let url = req.url;
  let method = req.method;
  let headers = { ...(req.headers ?? {}) };
  const origin = new URL(url).origin;
  const follow = req.followRedirects ?? (method === 'GET' || method === 'HEAD');
  for (let hops = 0; ; hops++) {
    const res = await once(url, method, headers, req);
    if (follow && res.status >= 300 && res.status < 400 && res.headers.location && hops < MAX_REDIRECTS) {
      await res.drain();
      const next = new URL(res.headers.location, url);
      url = next.toString();
      if (res.status === 303) method = 'GET';
      if (next.origin !== origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      continue;
    }
    return res;
  }
}

function once(url: string, method: string, headers: Record<string, string>, req: HttpRequest): Promise<HttpResponse> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const headerTimeout = req.headerTimeoutMs ?? 60_000;
  const idleTimeout = req.idleTimeoutMs ?? 60_000;
  return new Promise<HttpResponse>((resolve, reject) => {
    if (req.signal?.aborted) {
      reject(abortError(req.signal));
      return;
    }
    const hdrs: Record<string, string> = { 'User-Agent': 'berth/0.1.0', ...headers };
    if (req.body !== undefined) {
      const len = Buffer.isBuffer(req.body) ? req.body.length : req.bodyLength;
      if (len !== undefined) hdrs['Content-Length'] = String(len);
    }
    const opts: https.RequestOptions = {
      method, headers: hdrs, agent: u.protocol === 'https:' ? (req.ca ? undefined : agents.https) : agents.http,
      ...(req.ca ? { ca: req.ca } : {}),
    };
    const r = mod.request(u, opts, (res) => {
      clearTimeout(timer);
      const sock = res.socket;
      const onIdle = () => {
        res.destroy(Object.assign(new Error(`registry ${u.host} stopped sending data for ${idleTimeout / 1000}s`), { code: 'BERTH_IDLE' }));
      };
      sock?.setTimeout(idleTimeout);
      sock?.on('timeout', onIdle);
      res.once('close', () => {
        sock?.off('timeout', onIdle);
        sock?.setTimeout(0);
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        url,
        body: res,
        async text(limit = 4 << 20) {
          const chunks: Buffer[] = [];
          let n = 0;
          for await (const c of res) {
            n += (c as Buffer).length;
            if (n > limit) {
              res.destroy();
              throw unavailable(`response from ${u.host} is larger than ${limit} bytes`);
            }
            chunks.push(c as Buffer);
          }
          return Buffer.concat(chunks).toString('utf8');
        },
        async drain() {
          res.resume();
          await new Promise<void>((ok) => {
            if (res.complete || res.destroyed) ok();
            else { res.once('end', ok); res.once('close', ok); res.once('error', () => ok()); }
          });
        },
      });
    });
    const timer = setTimeout(() => {
      r.destroy(Object.assign(new Error(`registry ${u.host} did not answer within ${headerTimeout / 1000}s`), { code: 'ETIMEDOUT' }));
    }, headerTimeout);
    const onAbort = () => r.destroy(abortError(req.signal!));
    req.signal?.addEventListener('abort', onAbort, { once: true });
    r.on('close', () => req.signal?.removeEventListener('abort', onAbort));
    r.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else {
      const src = req.body();
      src.on('error', (e) => r.destroy(e));
      src.pipe(r);
    }
  });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : Object.assign(new Error('the operation was cancelled'), { code: 'ABORT_ERR' });
}
