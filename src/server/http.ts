/**
 * The HTTP layer: Docker's versioned paths (/v1.24 ... /v1.47 and unversioned), a small router,
 * JSON bodies with a size limit, one error -> status mapping, and connection hijacking for attach/exec
 * (`Upgrade: tcp`, answered with 101 and a raw stream, as Docker does).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { BerthError, invalidArgument, notFound } from '../core/errors.js';
import { parseTimestamps } from '../core/timestamps.js';
import { httpStatus } from './status.js';
import { BodyTooLarge, parseJsonBody, readLimited } from './body.js';

export { MAX_BODY } from './body.js';

export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';

export interface Ctx {
  req: http.IncomingMessage;
  /** absent for hijack-capable upgrade requests until `hijack()` */
  res?: http.ServerResponse;
  params: string[];
  query: URLSearchParams;
  version: string;
  /** parse the JSON body (400 on malformed JSON, 413 past the limit); undefined when empty */
  json(): Promise<unknown>;
  /** take over the connection: 101 for upgrade requests, a raw 200 otherwise */
  hijack(contentType: string): Duplex;
  send(status: number, body?: unknown, headers?: Record<string, string>): void;
  /** start a streamed response (events, logs, progress): chunked, flushed per write */
  stream(status: number, contentType: string): http.ServerResponse;
  /** fires when the client goes away */
  onClose(cb: () => void): void;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route { method: string; re: RegExp; handler: Handler }

export class Router {
  private readonly routes: Route[] = [];
  add(method: string, pattern: string, handler: Handler): void {
    // {name} matches one path segment, {name*} the rest (image names contain slashes)
    const src = pattern.replace(/\{[a-z]+\*\}/gi, '(.+)').replace(/\{[a-z]+\}/gi, '([^/]+)');
    this.routes.push({ method, re: new RegExp(`^${src}$`), handler });
  }
  match(method: string, path: string): { handler: Handler; params: string[] } | 'method' | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return { handler: r.handler, params: m.slice(1).map(decodeSegment) };
    }
    return pathMatched ? 'method' : undefined;
  }
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw invalidArgument(`invalid escape in the request path: ${seg}`);
  }
}

function compareVersions(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

/**
 * The body of an upgrade request: Node hands the socket over before parsing it, so read exactly
 * Content-Length bytes off the socket; what follows is the client's stream (stdin).
 */
function readUpgradeBody(req: http.IncomingMessage, sock: Duplex): Promise<Buffer> {
  const len = Number(req.headers['content-length'] ?? 0);
  if (!Number.isSafeInteger(len) || len < 0) return Promise.reject(invalidArgument(`invalid Content-Length: ${req.headers['content-length']}`));
  return readLimited(sock, len);
}

function writeRawHead(sock: Duplex, status: string, headers: Record<string, string>): void {
  sock.write(`HTTP/1.1 ${status}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
}

export function createApiServer(router: Router, opts: { log: (msg: string) => void; serverHeader: string }): http.Server {
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse | undefined, upgradeSock: Duplex | undefined) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://berth');
    } catch {
      url = new URL('http://berth/');
      url.pathname = '/\0invalid';
    }
    let path = url.pathname;
    let version = API_VERSION;
    const vm = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
    const closers: (() => void)[] = [];
    const sock = (upgradeSock ?? req.socket) as Duplex;
    // one listener per request that asks, removed when the request is done (keep-alive sockets serve many)
    const fireClosers = () => closers.forEach((c) => c());
    let hijacked = false;
    const commonHeaders = { 'Api-Version': API_VERSION, 'Docker-Experimental': 'false', 'Ostype': 'linux', 'Server': opts.serverHeader };
    const ctx: Ctx = {
      req, res, params: [], query: url.searchParams, version,
      async json() {
        return parseJsonBody(upgradeSock ? await readUpgradeBody(req, upgradeSock) : await readLimited(req));
      },
      hijack(contentType) {
        hijacked = true;
        if (upgradeSock) {
          writeRawHead(upgradeSock, '101 UPGRADED', { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp', ...commonHeaders });
          return upgradeSock;
        }
        const s = req.socket;
        res!.detachSocket(s);
        writeRawHead(s, '200 OK', { 'Content-Type': contentType, ...commonHeaders });
        return s;
      },
      send(status, body, headers = {}) {
        if (upgradeSock) {
          const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
          writeRawHead(upgradeSock, `${status} ${http.STATUS_CODES[status] ?? ''}`, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...commonHeaders, ...headers });
          upgradeSock.end(text);
          return;
        }
        if (status === 204 || status === 304 || body === undefined) {
          res!.writeHead(status, { ...commonHeaders, ...headers });
          res!.end();
          return;
        }
        const isText = typeof body === 'string';
        const text = isText ? body : `${JSON.stringify(body)}\n`;
        res!.writeHead(status, { 'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...commonHeaders, ...headers });
        res!.end(req.method === 'HEAD' ? undefined : text);
      },
      stream(status, contentType) {
        if (!res) throw invalidArgument('this endpoint does not support connection upgrade');
        res.writeHead(status, { 'Content-Type': contentType, ...commonHeaders });
        res.flushHeaders();
        return res;
      },
      onClose(cb) {
        if (closers.length === 0) sock.once('close', fireClosers);
        closers.push(cb);
      },
    };
    try {
      if (vm) {
        version = vm[1];
        path = vm[2];
        if (compareVersions(version, API_VERSION) > 0) throw invalidArgument(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
        if (compareVersions(version, MIN_API_VERSION) < 0) throw invalidArgument(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
        ctx.version = version;
      }
      const m = router.match(req.method ?? 'GET', path);
      if (m === undefined) throw notFound(`page not found`);
      if (m === 'method') throw new BerthError('InvalidArgument', `method ${req.method} not allowed on ${path}`);
      ctx.params = m.params;
      await m.handler(ctx);
      if (!hijacked) sock.off('close', fireClosers);
    } catch (e) {
      if (!hijacked) sock.off('close', fireClosers);
      const status = e instanceof BodyTooLarge ? 413 : httpStatus(e);
      const message = (e instanceof Error ? e.message : String(e)) || (e instanceof Error ? e.name : 'internal error');
      // a client that went away mid-stream is no failure of ours
      const gone = sock.destroyed || (e as NodeJS.ErrnoException)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
      // one line per unexpected failure (deliberate answers such as 503 are not): the message and where it was thrown
      if (status === 500 && !gone) opts.log(`${req.method} ${clip(req.url ?? '', 200)}: ${message.split('\n')[0]}${e instanceof BerthError ? '' : ` (${topFrame(e)})`}`);
      if (hijacked || res?.headersSent || sock.destroyed) {
        sock.destroy();
        return;
      }
      // a body too large to read to its end: answer and close, there is no next request on this connection
      const close = e instanceof BodyTooLarge && !e.drained ? { Connection: 'close' } : undefined;
      ctx.send(status, status === 304 ? undefined : { message }, close);
      // whatever the handler left of the request body is read and dropped (bounded by the socket's life)
      if (!upgradeSock && !req.complete) req.resume();
    }
  };
  // headers (the query string with them) up to 1 MiB, as Go's net/http allows. An idle keep-alive
  // connection stays open, as dockerd's (no IdleTimeout): a client that reuses one after a pause (urllib3,
  // docker-compose v1 on a long `up`) must never meet a connection closed under its request.
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 0, maxHeaderSize: MAX_HEADER }, (req, res) => void handle(req, res, undefined));
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (head.length) socket.unshift(head);
    void handle(req, undefined, socket);
  });
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    const { status, message } = clientErrorAnswer(err);
    if (!socket.writable) { socket.destroy(); return; }
    const body = JSON.stringify({ message });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  return server;
}

const MAX_HEADER = 1 << 20;

/** The answer to a request Node's parser refused (an unknown method, oversized headers, bad framing). */
export function clientErrorAnswer(err: { code?: string; message: string; rawPacket?: Buffer }): { status: number; message: string } {
  switch (err.code) {
    case 'HPE_INVALID_METHOD': {
      const method = err.rawPacket ? /^[^\s]{0,32}/.exec(err.rawPacket.toString('latin1'))![0] : '';
      return { status: 400, message: `unsupported HTTP method${method ? ` ${JSON.stringify(method)}` : ''}` };
    }
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: `request header fields too large: the request line and headers may take ${MAX_HEADER} bytes` };
    case 'HPE_INVALID_URL':
      return { status: 400, message: 'malformed request target' };
    default:
      return { status: 400, message: `malformed HTTP request: ${err.message.replace(/^Parse Error: /, '')}` };
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

function topFrame(e: unknown): string {
  const frame = e instanceof Error ? e.stack?.split('\n').find((l) => /^\s+at /.test(l))?.trim() : undefined;
  return `${e instanceof Error ? e.name : typeof e}${frame ? ` ${frame}` : ''}`;
}

/** Query helpers with Docker's truthiness ("1", "true", "True"). */
export function qBool(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  // Go's httputils.BoolValue: anything but these (any case) is true
  return !['0', 'false', 'no', 'none'].includes(v.trim().toLowerCase());
}

export function qInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return n;
}

/** A Unix time in seconds[.nanoseconds] (logs' since/until), checked; 400 naming the parameter and value. */
export function qTimestamp(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  try {
    parseTimestamps(v);
    // longer fractions are truncated to nanoseconds, as moby does
    return v.replace(/(\.\d{9})\d+$/, '$1').replace(/^\+/, '');
  } catch (e) {
    throw invalidArgument(`invalid value for ${name}: ${JSON.stringify(v)}: ${(e as Error).message}`);
  }
}
