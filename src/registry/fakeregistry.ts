/**
 * A small in-memory registry for the client's protocol tests: bearer-token or basic auth, manifests,
 * blobs with Range, uploads, mounts, plus faults a real registry cannot be asked for (a connection cut
 * mid-blob, a blob served with wrong bytes, a registry that never answers, a blob redirected to another
 * origin). Test code only; Berth's real registry server is src/registry/server.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFaults {
  /** cut the connection after this many bytes of the blob, the first `times` requests */
  cutBlob?: { digest: string; after: number; times: number };
  /** serve these bytes instead of the blob's */
  corrupt?: { digest: string; bytes: Buffer };
  /** never answer requests whose path contains this */
  hang?: string;
  /** cut the connection of upload PATCHes after this many bytes (kept, as a registry keeps them), `times` times */
  cutUpload?: { after: number; times: number };
  /** redirect blob GETs to a second listener (another origin) that serves them without auth */
  redirectBlobs?: boolean;
}

export interface FakeRegistryOptions {
  auth?: 'bearer' | 'basic';
  user?: string;
  password?: string;
}

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  /** repo -> reference (tag or digest) -> {type, bytes} */
  readonly manifests = new Map<string, Map<string, { type: string; bytes: Buffer }>>();
  readonly faults: FakeFaults = {};
  readonly log: string[] = [];
  readonly tokens = new Set<string>();
  private readonly uploads = new Map<string, Buffer[]>();
  private server!: http.Server;
  private cdn!: http.Server;
  port = 0;
  cdnPort = 0;

  constructor(readonly opts: FakeRegistryOptions = {}) {}

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    this.cdn = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.cdn.listen(0, '127.0.0.1', r));
    this.cdnPort = (this.cdn.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const s of [this.server, this.cdn]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  addBlob(b: Buffer): string {
    const d = sha(b);
    this.blobs.set(d, b);
    return d;
  }

  putManifest(repo: string, tag: string, type: string, bytes: Buffer): string {
    const m = this.manifests.get(repo) ?? new Map<string, { type: string; bytes: Buffer }>();
    this.manifests.set(repo, m);
    const d = sha(bytes);
    m.set(tag, { type, bytes });
    m.set(d, { type, bytes });
    return d;
  }

  private authorized(req: http.IncomingMessage): boolean {
    const a = req.headers.authorization ?? '';
    if (!this.opts.auth) return true;
    if (this.opts.auth === 'basic') return a === `Basic ${Buffer.from(`${this.opts.user}:${this.opts.password}`).toString('base64')}`;
    return a.startsWith('Bearer ') && this.tokens.has(a.slice(7));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    this.log.push(`${req.method} ${url.pathname}${url.search}${req.headers.authorization ? ' [auth]' : ''}`);
    if (this.faults.hang && url.pathname.includes(this.faults.hang)) return; // never answers
    if (url.pathname === '/token') return this.token(req, url, res);
    if (url.pathname.startsWith('/cdn/')) return this.sendBlob(req, res, url.pathname.slice(5));
    if (!this.authorized(req)) {
      const challenge = this.opts.auth === 'basic'
        ? 'Basic realm="fake"'
        : `Bearer realm="http://127.0.0.1:${this.port}/token",service="fake"${url.pathname === '/v2/' ? '' : `,scope="repository:x:pull"`}`;
      res.writeHead(401, { 'WWW-Authenticate': challenge, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (m && m[2] === 'blobs' && m[3] === 'uploads/') return this.startUpload(req, url, m[1]!, res);
    if (url.pathname.startsWith('/upload/')) return this.upload(req, url, res);
    if (!m) return void res.writeHead(404).end();
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'manifests') {
      if (req.method === 'PUT') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const d = this.putManifest(repo, ref, String(req.headers['content-type']), Buffer.concat(chunks));
          res.writeHead(201, { 'Docker-Content-Digest': d }).end();
        });
        return;
      }
      const man = this.manifests.get(repo)?.get(ref);
      if (!man) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': man.type, 'Content-Length': man.bytes.length, 'Docker-Content-Digest': sha(man.bytes) });
      res.end(req.method === 'HEAD' ? undefined : man.bytes);
      return;
    }
    if (this.faults.redirectBlobs && req.method === 'GET') {
      res.writeHead(307, { Location: `http://127.0.0.1:${this.cdnPort}/cdn/${ref}` }).end();
      return;
    }
    this.sendBlob(req, res, ref);
  }

  private sendBlob(req: http.IncomingMessage, res: http.ServerResponse, digest: string): void {
    let blob = this.blobs.get(digest);
    if (!blob) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
      return;
    }
    if (this.faults.corrupt?.digest === digest) blob = this.faults.corrupt.bytes;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    if (range) start = Number(range[1]);
    const body = blob.subarray(start);
    res.writeHead(range ? 206 : 200, { 'Content-Length': body.length, 'Docker-Content-Digest': digest, ...(range ? { 'Content-Range': `bytes ${start}-${blob.length - 1}/${blob.length}` } : {}) });
    if (req.method === 'HEAD') return void res.end();
    const cut = this.faults.cutBlob;
    if (cut && cut.digest === digest && cut.times > 0) {
      cut.times--;
      res.write(body.subarray(0, cut.after), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  }

  private token(req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
    const a = req.headers.authorization;
    if (a && a !== `Basic ${Buffer.from(`${this.opts.user}:${this.opts.password}`).toString('base64')}`) {
      res.writeHead(401).end('{"details":"incorrect username or password"}');
      return;
    }
    if (!a && this.opts.user) {
      // anonymous tokens are refused when the registry has a user
      res.writeHead(401).end('{"details":"anonymous access denied"}');
      return;
    }
    const t = randomBytes(8).toString('hex');
    this.tokens.add(t);
    this.log.push(`token scope=${url.searchParams.getAll('scope').join(' ')}`);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: t, expires_in: 300 }));
  }

  private startUpload(req: http.IncomingMessage, url: URL, repo: string, res: http.ServerResponse): void {
    req.resume();
    const mount = url.searchParams.get('mount');
    if (mount && this.blobs.has(mount)) return void res.writeHead(201, { Location: `/v2/${repo}/blobs/${mount}` }).end();
    const id = randomBytes(6).toString('hex');
    this.uploads.set(id, []);
    res.writeHead(202, { Location: `/upload/${id}?repo=${encodeURIComponent(repo)}`, 'Docker-Upload-UUID': id, Range: '0-0' }).end();
  }

  private upload(req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
    const id = url.pathname.slice('/upload/'.length);
    const parts = this.uploads.get(id);
    if (!parts) return void res.writeHead(404).end();
    const cut = req.method === 'PATCH' && this.faults.cutUpload && this.faults.cutUpload.times > 0 ? this.faults.cutUpload : undefined;
    if (cut) cut.times--;
    let got = 0;
    req.on('data', (c: Buffer) => {
      if (cut && got + c.length >= cut.after) {
        parts.push(c.subarray(0, cut.after - got));
        got = cut.after;
        this.log.push(`cut upload after ${cut.after}`);
        req.socket.destroy();
        return;
      }
      got += c.length;
      parts.push(c);
    });
    req.on('end', () => {
      if (req.method === 'PUT') {
        const data = Buffer.concat(parts);
        const want = url.searchParams.get('digest');
        if (want !== sha(data)) {
          res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' }] }));
          return;
        }
        this.blobs.set(want, data);
        this.uploads.delete(id);
        res.writeHead(201, { Location: `/v2/x/blobs/${want}` }).end();
        return;
      }
      const n = parts.reduce((s, p) => s + p.length, 0);
      res.writeHead(req.method === 'GET' ? 204 : 202, { Location: url.pathname + url.search, Range: `0-${Math.max(0, n - 1)}` }).end();
    });
  }
}
