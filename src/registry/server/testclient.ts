/**
 * Test support for the registry server's tests: a registry on a temp root listening on 127.0.0.1:0,
 * and a small HTTP(S) client over node's http module. Not used by production code.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { RegistryServer, type RegistryServerOptions } from './registryserver.js';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  headers?: Record<string, string | number>;
  body?: Buffer | string | Readable;
  /** CA certificate (PEM) for https */
  ca?: string;
  /** user:password for Basic auth */
  auth?: string;
}

export function request(base: string, method: string, urlPath: string, opts: RequestOptions = {}): Promise<Reply> {
  const url = new URL(base);
  const headers: Record<string, string | number> = { ...opts.headers };
  if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  if (Buffer.isBuffer(opts.body) || typeof opts.body === 'string') headers['Content-Length'] ??= Buffer.byteLength(opts.body);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    // the path goes out as given (no normalisation of `..`): the tests probe traversal
    const target = { hostname: url.hostname, port: url.port, path: urlPath, method, headers, ca: opts.ca, agent: false };
    const req = mod.request(target, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body.toString()) as T });
      });
    });
    req.on('error', reject);
    if (opts.body instanceof Readable) opts.body.pipe(req);
    else req.end(opts.body);
  });
}

export function sha256(data: Buffer | string): `sha256:${string}` {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface TestRegistry {
  server: RegistryServer;
  base: string;
  root: string;
  /** closes the server and reopens it on the same root (a restart) */
  restart(): Promise<void>;
}

/** A registry on a fresh temp root, closed and removed when the test ends. */
export async function startRegistry(t: TestContext, opts: Partial<RegistryServerOptions> = {}, scheme = 'http'): Promise<TestRegistry> {
  const root = opts.root ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'berth-regsrv-')));
  const reg: TestRegistry = { server: await RegistryServer.open({ ...opts, root }), base: '', root, restart: async () => {} };
  const bind = async () => {
    const { port } = await reg.server.listen('127.0.0.1:0');
    reg.base = `${scheme}://127.0.0.1:${port}`;
  };
  reg.restart = async () => {
    await reg.server.close();
    reg.server = await RegistryServer.open({ ...opts, root });
    await bind();
  };
  t.after(async () => {
    await reg.server.close();
    if (!opts.root) await fs.rm(root, { recursive: true, force: true });
  });
  await bind();
  return reg;
}

/** Pushes a blob monolithically (POST then PUT) and returns its digest. */
export async function pushBlob(base: string, name: string, data: Buffer | string): Promise<`sha256:${string}`> {
  const digest = sha256(data);
  const start = await request(base, 'POST', `/v2/${name}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`POST upload: ${start.status} ${start.body.toString()}`);
  const loc = new URL(start.headers.location!, base);
  loc.searchParams.set('digest', digest);
  const put = await request(base, 'PUT', loc.pathname + loc.search, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`PUT upload: ${put.status} ${put.body.toString()}`);
  return digest;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

export function desc(mediaType: string, data: Buffer | string): Desc {
  return { mediaType, digest: sha256(data), size: Buffer.byteLength(data) };
}

/** Pushes a config and one layer to `name` and returns an OCI manifest referring to them (not pushed). */
export async function imageManifest(base: string, name: string, seed: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', seed });
  const layer = `layer of ${seed}`;
  await pushBlob(base, name, config);
  await pushBlob(base, name, layer);
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: desc('application/vnd.oci.image.config.v1+json', config),
      layers: [desc('application/vnd.oci.image.layer.v1.tar', layer)],
      ...extra,
    }),
  );
}

export async function putManifest(base: string, name: string, ref: string, body: Buffer, mediaType = OCI_MANIFEST): Promise<Reply> {
  return request(base, 'PUT', `/v2/${name}/manifests/${ref}`, { body, headers: { 'Content-Type': mediaType } });
}
