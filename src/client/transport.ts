/**
 * HTTP over the daemon's unix socket: plain requests, streamed responses and hijacked connections
 * (101 Switching Protocols, then a raw duplex socket). Every non-2xx answer becomes a DaemonError.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { ConnectionError, errorFromResponse } from './errors.js';
import { API_VERSION, socketPathOf } from './host.js';

export type QueryValue = string | number | boolean | undefined | null | string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  method: string;
  path: string;
  query?: Query;
  /** A JSON value, or a raw body (stream/buffer) sent as-is with `contentType`. */
  body?: unknown;
  rawBody?: Readable | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Leave the version prefix off (only /_ping is served without it, for negotiation). */
  unversioned?: boolean;
}

/** Docker's query encoding: true is "1", false and undefined are left out, arrays repeat the key. */
export function encodeQuery(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === false) continue;
    if (Array.isArray(v)) for (const item of v) p.append(k, item);
    else p.append(k, v === true ? '1' : String(v));
  }
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

export interface HijackedStream {
  socket: Socket;
  /** The Content-Type of the 101 answer: tells multiplexed from raw (tty) streams. */
  contentType: string;
}

export class Transport {
  readonly host: string;
  private readonly socketPath: string;
  private readonly prefix: string;

  constructor(host: string, version: string = API_VERSION) {
    this.host = host;
    this.socketPath = socketPathOf(host);
    this.prefix = `/v${version}`;
  }

  private start(opts: RequestOptions, extraHeaders: Record<string, string> = {}): http.ClientRequest {
    const headers: Record<string, string> = { ...opts.headers, ...extraHeaders };
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else if (opts.rawBody !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/x-tar';
      if (Buffer.isBuffer(opts.rawBody)) headers['Content-Length'] = String(opts.rawBody.length);
    }
    const options: http.RequestOptions & { servername: string } = {
      socketPath: this.socketPath,
      method: opts.method,
      path: `${opts.unversioned ? '' : this.prefix}${opts.path}${encodeQuery(opts.query)}`,
      headers,
      signal: opts.signal,
      agent: false,
      // no TLS on a unix socket: without this, Node works out a TLS server name from the host, and its
      // first isIP() compiles the IPv6 regular expression (5-15 ms of a CLI's start; bench/README.md)
      servername: '',
    };
    const req = http.request(options);
    if (payload) req.end(payload);
    else if (Buffer.isBuffer(opts.rawBody)) req.end(opts.rawBody);
    else if (opts.rawBody) {
      // a body that fails as it is read (a context file that cannot be read) ends the request with its error
      opts.rawBody.once('error', (e) => req.destroy(e));
      opts.rawBody.pipe(req);
    }
    else req.end();
    return req;
  }

  private connectError(err: unknown): Error {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') return new ConnectionError(this.host, err);
    return err as Error;
  }

  /** Sends a request; resolves with the response once its status is known to be 2xx/3xx. */
  request(opts: RequestOptions): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.start(opts);
      req.on('error', (err) => reject(this.connectError(err)));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 400) {
          // 3xx is success as in docker's client (304: already started/stopped)
          resolve(res);
          return;
        }
        readAll(res).then((body) => reject(errorFromResponse(status, body)), reject);
      });
    });
  }

  /** A request whose answer is JSON (or empty: undefined). */
  async json<T>(opts: RequestOptions): Promise<T> {
    const res = await this.request(opts);
    const text = await readAll(res);
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A request whose answer is ignored. */
  async call(opts: RequestOptions): Promise<void> {
    const res = await this.request(opts);
    res.resume();
    await new Promise<void>((resolve) => (res.complete ? resolve() : res.on('end', resolve).on('close', resolve)));
  }

  /**
   * Hijacks the connection: sends `Connection: Upgrade` / `Upgrade: tcp`, expects 101 and hands over
   * the raw socket (bytes already read past the headers are put back). A non-101 answer is an error.
   */
  hijack(opts: RequestOptions): Promise<HijackedStream> {
    return new Promise((resolve, reject) => {
      const req = this.start(opts, { Connection: 'Upgrade', Upgrade: 'tcp' });
      req.on('error', (err) => reject(this.connectError(err)));
      req.on('upgrade', (res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve({ socket, contentType: String(res.headers['content-type'] ?? '') });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          // An old-style daemon streams on the plain response: use its socket anyway.
          resolve({ socket: res.socket as Socket, contentType: String(res.headers['content-type'] ?? '') });
          return;
        }
        readAll(res).then((body) => reject(errorFromResponse(status, body)), reject);
      });
    });
  }
}

export async function readAll(res: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
