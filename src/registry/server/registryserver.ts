/**
 * Berth's registry server: the OCI distribution API over HTTP or HTTPS, on a storage root.
 *
 * Lifecycle: `open` prepares the storage (and the htpasswd file and TLS key pair when given); `listen`
 * binds an address; `handler` can instead be mounted in another HTTP server; `gc` may run at any time,
 * pushes in flight wait for it; `close` stops listening and the periodic clean-up of stale uploads.
 */
import * as fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { invalidArgument } from '../../core/errors.js';
import { Htpasswd } from './auth.js';
import type { GcOptions, GcResult } from './gc.js';
import { createHandler, type RequestHandler } from './handler.js';
import { Registry } from './registry.js';
import { STREAM_HWM } from './uploads.js';

export interface RegistryServerOptions {
  /** storage root */
  root: string;
  /** htpasswd file with bcrypt entries: when given, every request needs Basic credentials */
  htpasswd?: string;
  /** certificate and key (file paths or PEM text): serve HTTPS */
  tls?: { cert: string; key: string };
  log?: (msg: string) => void;
  /** larger manifests are refused with 413 (default 4 MiB) */
  maxManifestBytes?: number;
  /** upload sessions idle for longer are removed (default 24 hours) */
  uploadTtlMs?: number;
}

const PURGE_INTERVAL_MS = 3600_000;

export class RegistryServer {
  /** The request handler, usable inside another HTTP(S) server. */
  readonly handler: RequestHandler;
  private server?: http.Server;
  private purgeTimer?: NodeJS.Timeout;

  private constructor(
    readonly registry: Registry,
    private readonly tls: { cert: string; key: string } | undefined,
    private readonly log: (msg: string) => void,
    htpasswd: Htpasswd | undefined,
  ) {
    this.handler = createHandler(registry, { htpasswd, log });
  }

  static async open(opts: RegistryServerOptions): Promise<RegistryServer> {
    const log = opts.log ?? (() => {});
    const registry = await Registry.open(opts.root, { log, maxManifestBytes: opts.maxManifestBytes, uploadTtlMs: opts.uploadTtlMs });
    const htpasswd = opts.htpasswd ? await Htpasswd.load(opts.htpasswd, log) : undefined;
    if (htpasswd && htpasswd.size === 0) log(`htpasswd ${opts.htpasswd} has no bcrypt entries: every request will be refused`);
    const tls = opts.tls ? { cert: await pem(opts.tls.cert), key: await pem(opts.tls.key) } : undefined;
    const srv = new RegistryServer(registry, tls, log, htpasswd);
    srv.purgeTimer = setInterval(() => {
      registry.purgeStaleUploads().catch((err: unknown) => log(`purging stale uploads: ${(err as Error).message}`));
    }, PURGE_INTERVAL_MS);
    srv.purgeTimer.unref();
    return srv;
  }

  /** Binds `host:port` (`[::1]:5000`, `:5000` for all interfaces, port 0 for a free one). */
  async listen(addr: string): Promise<{ host: string; port: number }> {
    if (this.server) throw invalidArgument('registry server is already listening');
    const { host, port } = parseAddr(addr);
    const options = { highWaterMark: STREAM_HWM, keepAliveTimeout: 30_000, requestTimeout: 0 };
    const server = this.tls ? https.createServer({ ...options, ...this.tls }, this.handler) : http.createServer(options, this.handler);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as AddressInfo;
    this.log(`registry listening on ${this.tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    return { host: a.address, port: a.port };
  }

  get protocol(): 'http' | 'https' {
    return this.tls ? 'https' : 'http';
  }

  async close(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = undefined;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Garbage-collects unreferenced blobs (see gc.ts); safe while serving. */
  async gc(opts: GcOptions = {}): Promise<GcResult> {
    return this.registry.gc(opts);
  }
}

/** Splits `host:port`; an empty host means all interfaces. */
export function parseAddr(addr: string): { host: string | undefined; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  if (!m) throw invalidArgument(`invalid listen address ${JSON.stringify(addr)}: expected host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw invalidArgument(`invalid listen address ${JSON.stringify(addr)}: port out of range`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

async function pem(v: string): Promise<string> {
  return v.includes('-----BEGIN') ? v : fs.readFile(v, 'utf8');
}
