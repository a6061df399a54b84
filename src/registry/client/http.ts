/**
 * The one HTTP primitive the distribution client uses: a request over node:http/https with keep-alive
 * agents, a deadline for the response headers and an idle timeout on the body (a registry that hangs gets
 * an error, not a stuck pull), redirects followed (blob downloads are often redirected to a CDN; the
 * Authorization header is only sent to the origin it was meant for), and cancellation by AbortSignal.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { ipInCidr } from '../../core/ipnet.js';
import tls from 'node:tls';
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
  proxy?: ProxyConfig;
}

/** Docker's `proxies` (daemon.json) or HTTP_PROXY/HTTPS_PROXY/NO_PROXY. */
export interface ProxyConfig {
  http?: string;
  https?: string;
  /** comma-separated hosts, domains (`.example.com` or `example.com`), CIDRs, host:port, or `*` */
  noProxy?: string;
}


/**
 * The proxy for a URL, as Go's httpproxy decides it (which dockerd uses): loopback is never proxied;
 * NO_PROXY entries match the host, its domain, a CIDR or host:port; `*` disables the proxy.
 */
export function proxyFor(url: URL, cfg: ProxyConfig | undefined): URL | undefined {
  if (!cfg) return undefined;
  const proxy = url.protocol === 'https:' ? cfg.https : cfg.http;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1' || ipInCidr(host, '127.0.0.0/8')) return undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of (cfg.noProxy ?? '').split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    if (raw === '*') return undefined;
    if (raw.includes('/')) {
      if (ipInCidr(host, raw)) return undefined;
      continue;
    }
    const [h, p] = raw.startsWith('[') ? [raw.slice(1, raw.indexOf(']')), raw.split(']:')[1]] : raw.split(':') as [string, string | undefined];
    if (p !== undefined && p !== port) continue;
    const d = h!.replace(/^\*?\./, '');
    if (host === d || host.endsWith(`.${d}`)) return undefined;
  }
  return new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
}

/** Opens a CONNECT tunnel through an HTTP proxy to host:port. */
function tunnel(proxy: URL, host: string, port: string, timeoutMs: number, signal?: AbortSignal): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: `${host}:${port}` };
    if (proxy.username) headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
    const req = http.request({ host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: `${host}:${port}`, headers, signal });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`proxy ${proxy.host} did not answer within ${timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })), timeoutMs);
    req.once('connect', (res, socket) => {
      clearTimeout(timer);
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`proxyconnect tcp: proxy ${proxy.host} refused the tunnel to ${host}:${port}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
      } else resolve(socket);
    });
    req.once('error', (e) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`proxyconnect tcp: ${e.message}`), { code: (e as NodeJS.ErrnoException).code }));
    });
    req.end();
  });
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

async function once(url: string, method: string, headers: Record<string, string>, req: HttpRequest): Promise<HttpResponse> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const headerTimeout = req.headerTimeoutMs ?? 60_000;
  const idleTimeout = req.idleTimeoutMs ?? 60_000;
  const proxy = proxyFor(u, req.proxy);
  // through a proxy: https goes through a CONNECT tunnel, http asks the proxy for the absolute URL
  let via: https.RequestOptions = {};
  if (proxy && u.protocol === 'https:') {
    const sock = await tunnel(proxy, u.hostname, u.port || '443', headerTimeout, req.signal);
    via = { agent: false, createConnection: () => tls.connect({ socket: sock, servername: isIP(u.hostname) ? undefined : u.hostname, ...(req.ca ? { ca: req.ca } : {}) }) };
  } else if (proxy) {
    via = { agent: false, host: proxy.hostname, port: proxy.port || 80, path: u.href, setHost: false, headers: { Host: u.host } };
  }
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
    const { headers: viaHeaders, ...viaRest } = via;
    const opts: https.RequestOptions = {
      method, headers: { ...hdrs, ...(viaHeaders as Record<string, string> | undefined) },
      agent: u.protocol === 'https:' ? (req.ca ? undefined : agents.https) : agents.http,
      ...(req.ca ? { ca: req.ca } : {}),
      ...viaRest,
    };
    const r = via.path ? http.request(opts, onResponse) : mod.request(u, opts, onResponse);
    function onResponse(res: IncomingMessage) {
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
    }
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
