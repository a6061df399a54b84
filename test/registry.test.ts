/**
 * Images through registries, end to end: a real berthd, Debian's `docker-registry` (the reference
 * registry:2) as the peer, and the clients users have (docker CLI, dockerode, berth). Push, pull by tag
 * and digest, cross-repository mounts, login/logout against htpasswd, a Docker Hub mirror, save/load of
 * several images, history, and bad registry content (corrupt, missing and path-escaping layers).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import Docker from 'dockerode';
import * as tar from 'tar-stream';
import { BERTH_CLI, freePort, TestDaemon, runCmd, waitFor } from './harness.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Debian's docker-registry on 127.0.0.1, storage in a temp dir, optionally behind htpasswd. */
class RefRegistry {
  proc?: ChildProcess;
  port = 0;
  constructor(readonly dir: string) {}
  get host(): string { return `127.0.0.1:${this.port}`; }
  get storage(): string { return path.join(this.dir, 'data'); }

  async start(htpasswd?: { user: string; password: string }): Promise<void> {
    this.port = await freePort();
    let auth = '';
    if (htpasswd) {
      await fsp.writeFile(path.join(this.dir, 'htpasswd'), `${htpasswd.user}:${bcrypt.hashSync(htpasswd.password, 5)}\n`);
      auth = `auth:\n  htpasswd:\n    realm: test\n    path: ${path.join(this.dir, 'htpasswd')}\n`;
    }
    await fsp.writeFile(path.join(this.dir, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${this.storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${this.port}\n${auth}`);
    this.proc = spawn('/usr/bin/docker-registry', ['serve', path.join(this.dir, 'config.yml')], { stdio: 'ignore' });
    await waitFor(() => new Promise<boolean>((r) => {
      http.get(`http://${this.host}/v2/`, (res) => { res.resume(); r(true); }).on('error', () => r(false));
    }), 10000, 'docker-registry');
  }

  /** Path of a blob's data file in registry:2's filesystem layout. */
  blobFile(digest: string): string {
    const hex = digest.slice(7);
    return path.join(this.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  }

  stop(): void {
    if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).on('error', reject);
  });
}

function send(method: string, url: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'Content-Length': String(body.length), ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Pushes an image made of raw layer blobs straight to a registry (how a hostile registry's content gets there). */
async function rawPush(host: string, repo: string, tag: string, layers: { blob: Buffer; diffID: string }[]): Promise<void> {
  const put = async (blob: Buffer) => {
    const start = await send('POST', `http://${host}/v2/${repo}/blobs/uploads/`, Buffer.alloc(0));
    assert.equal(start.status, 202, start.body);
    const loc = new URL(start.headers.location!, `http://${host}`);
    loc.searchParams.set('digest', sha(blob));
    const r = await send('PUT', loc.toString(), blob, { 'Content-Type': 'application/octet-stream' });
    assert.equal(r.status, 201, r.body);
  };
  for (const l of layers) await put(l.blob);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) } }));
  await put(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha(config) },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: l.blob.length, digest: sha(l.blob) })),
  }));
  const r = await send('PUT', `http://${host}/v2/${repo}/manifests/${tag}`, manifest, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' });
  assert.equal(r.status, 201, r.body);
}

async function tarOf(entries: { name: string; type?: 'file' | 'symlink'; linkname?: string; content?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o644 }, e.content ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let d: TestDaemon;
let plain: RefRegistry;
let locked: RefRegistry;

before(async () => {
  plain = new RefRegistry(await fsp.mkdtemp('/tmp/bt-reg-'));
  locked = new RefRegistry(await fsp.mkdtemp('/tmp/bt-reg-'));
  await plain.start();
  await locked.start({ user: 'alice', password: 's3cret' });
  // Docker Hub pulls go to the plain registry as a mirror (it holds library/busybox:mirrored, see the mirror test)
  d = await TestDaemon.create({ 'registry-mirrors': [`http://${plain.host}`] });
  await d.importBusybox();
});

after(async () => {
  await d?.stop();
  for (const r of [plain, locked]) {
    r?.stop();
    if (r) await fsp.rm(r.dir, { recursive: true, force: true });
  }
});

async function ingestFiles(): Promise<string[]> {
  return fsp.readdir(path.join(d.dataRoot, 'image/content/ingest')).catch(() => []);
}

test('docker CLI: push to registry:2, catalog and tags, rmi, pull by tag and digest, run; berth pushes the same digest', async () => {
  const ref = `${plain.host}/busybox:1`;
  assert.equal((await d.docker(['tag', 'busybox', ref])).code, 0);
  const pushed = await d.docker(['push', ref]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const digest = /1: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushed.stdout)?.[1];
  assert.ok(digest, pushed.stdout);
  assert.deepEqual(JSON.parse((await get(`http://${plain.host}/v2/_catalog`)).body).repositories, ['busybox']);
  assert.deepEqual(JSON.parse((await get(`http://${plain.host}/v2/busybox/tags/list`)).body).tags, ['1']);
  // the registry serves what was pushed, byte for byte
  const man = await get(`http://${plain.host}/v2/busybox/manifests/1`, { Accept: 'application/vnd.docker.distribution.manifest.v2+json' });
  assert.equal(sha(man.body), digest);

  assert.equal((await d.docker(['rmi', ref])).code, 0);
  const pulled = await d.docker(['pull', ref]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`Digest: ${digest}\\nStatus: (Downloaded newer image|Image is up to date) for ${ref.replace(/\./g, '\\.')}`));
  const images = await d.docker(['images', '--digests', '--format', '{{.Repository}}:{{.Tag}} {{.Digest}}']);
  assert.match(images.stdout, new RegExp(`${plain.host.replace(/\./g, '\\.')}/busybox:1 ${digest}`));
  const byDigest = await d.docker(['pull', `${plain.host}/busybox@${digest}`]);
  assert.equal(byDigest.code, 0, byDigest.stderr);
  const run = await d.docker(['run', '--rm', '--network', 'none', ref, 'echo', 'pulled']);
  assert.equal(run.stdout, 'pulled\n', run.stderr);

  // berth pushes the same image to another repository: the layer is mounted, the manifest digest is the same
  assert.equal((await d.berth(['tag', 'busybox', `${plain.host}/team/bb:1`])).code, 0);
  const bpush = await d.berth(['push', `${plain.host}/team/bb:1`]);
  assert.equal(bpush.code, 0, bpush.stderr);
  assert.match(bpush.stdout, /Mounted from/);
  assert.match(bpush.stdout, new RegExp(`1: digest: ${digest}`));
  // and berth pulls it back under that digest
  assert.equal((await d.berth(['rmi', `${plain.host}/team/bb:1`])).code, 0);
  const bpull = await d.berth(['pull', `${plain.host}/team/bb:1`]);
  assert.equal(bpull.code, 0, bpull.stderr);
  assert.match(bpull.stdout, new RegExp(`Digest: ${digest}`));
  // docker pull -a: every tag of the repository
  await d.docker(['tag', 'busybox', `${plain.host}/busybox:2`]);
  assert.equal((await d.docker(['push', `${plain.host}/busybox:2`])).code, 0);
  assert.equal((await d.docker(['rmi', `${plain.host}/busybox:1`, `${plain.host}/busybox:2`])).code, 0);
  const all = await d.docker(['pull', '-a', `${plain.host}/busybox`]);
  assert.equal(all.code, 0, all.stderr);
  const tags = await d.docker(['images', '--format', '{{.Tag}}', `${plain.host}/busybox`]);
  assert.deepEqual(tags.stdout.trim().split('\n').sort(), ['1', '2']);
  assert.deepEqual(await ingestFiles(), []);
});

test('login and logout against an htpasswd registry, with the docker CLI and berth', async () => {
  const ref = `${locked.host}/private/bb:1`;
  await d.docker(['tag', 'busybox', ref]);
  const denied = await d.docker(['push', ref]);
  assert.notEqual(denied.code, 0);
  const wrong = await d.docker(['login', '-u', 'alice', '--password-stdin', locked.host], { input: 'nope\n' });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /401 Unauthorized/);
  const ok = await d.docker(['login', '-u', 'alice', '--password-stdin', locked.host], { input: 's3cret\n' });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Login Succeeded/);
  const cfgFile = path.join(d.dir, 'docker-config', 'config.json');
  const cfg = JSON.parse(await fsp.readFile(cfgFile, 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(cfg.auths[locked.host]!.auth, 'base64').toString(), 'alice:s3cret');
  const pushed = await d.docker(['push', ref]);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.equal((await d.docker(['rmi', ref])).code, 0);
  assert.equal((await d.docker(['pull', ref])).code, 0);
  const out = await d.docker(['logout', locked.host]);
  assert.match(out.stdout, new RegExp(`Removing login credentials for ${locked.host.replace(/\./g, '\\.')}`));
  assert.equal((await d.docker(['rmi', ref])).code, 0);
  const anon = await d.docker(['pull', ref]);
  assert.notEqual(anon.code, 0);
  assert.match(anon.stderr, /pull access denied|unauthorized/i);

  // berth reads and writes the same file format
  const env = { DOCKER_CONFIG: path.join(d.dir, 'berth-config') };
  const blogin = await runBerth(['login', '-u', 'alice', '--password-stdin', locked.host], env, 's3cret\n');
  assert.equal(blogin.code, 0, blogin.stderr);
  assert.match(blogin.stdout, /Login Succeeded/);
  const bcfg = JSON.parse(await fsp.readFile(path.join(env.DOCKER_CONFIG, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.ok(bcfg.auths[locked.host]);
  assert.equal((await runBerth(['pull', ref], env)).code, 0);
  assert.equal((await runBerth(['logout', locked.host], env)).code, 0);
  assert.equal((await runBerth(['rmi', ref], env)).code, 0);
  assert.notEqual((await runBerth(['pull', ref], env)).code, 0);
});

function runBerth(args: string[], env: Record<string, string>, input?: string) {
  return runCmd(process.execPath, [BERTH_CLI, ...args], { env: { ...process.env, BERTH_HOST: d.host, DOCKER_HOST: d.host, ...env }, input });
}

test('Docker Hub names are pulled from the configured mirror', async () => {
  // the mirror holds docker.io/library/busybox:mirrored
  await d.docker(['tag', 'busybox', `${plain.host}/library/busybox:mirrored`]);
  assert.equal((await d.docker(['push', `${plain.host}/library/busybox:mirrored`])).code, 0);
  const pulled = await d.docker(['pull', 'busybox:mirrored']);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /Status: .* for busybox:mirrored/);
  assert.match(pulled.stdout, /docker\.io\/library\/busybox:mirrored/);
  const tags = await d.docker(['image', 'inspect', '-f', '{{json .RepoTags}}', 'busybox:mirrored']);
  assert.match(tags.stdout, /"busybox:mirrored"/);
});

test('Docker Hub and other registries off this machine are only reached through the configured proxy', async () => {
  // Docker Hub itself is only reachable through the (closed) proxy: the mirror's answer is the one left
  const r = await d.docker(['pull', 'busybox:not-on-the-mirror']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /manifest for busybox:not-on-the-mirror not found/);
  const other = await d.docker(['pull', 'registry.invalid/x:1']);
  assert.match(other.stderr, /proxyconnect tcp: connect ECONNREFUSED 127\.0\.0\.1:9/);
});

test('dockerode: pull and push with progress; save and load of two images; history', async () => {
  const docker = new Docker({ socketPath: d.socket });
  const ref = `${plain.host}/dode:2`;
  await docker.getImage('busybox').tag({ repo: `${plain.host}/dode`, tag: '2' });
  const pushStream = (await docker.getImage(ref).push({ authconfig: {} } as never)) as unknown as NodeJS.ReadableStream;
  const pushed = await new Promise<{ aux?: { Digest?: string } }[]>((resolve, reject) => docker.modem.followProgress(pushStream, (e: Error | null, r: unknown[]) => (e ? reject(e) : resolve(r as never))));
  assert.ok(pushed.some((m) => m.aux?.Digest?.startsWith('sha256:')), JSON.stringify(pushed));
  await docker.getImage(ref).remove();
  const pullStream = (await docker.pull(ref)) as unknown as NodeJS.ReadableStream;
  const pulled = await new Promise<{ status?: string }[]>((resolve, reject) => docker.modem.followProgress(pullStream, (e: Error | null, r: unknown[]) => (e ? reject(e) : resolve(r as never))));
  assert.ok(pulled.some((m) => m.status?.startsWith('Digest: sha256:')));

  const tarFile = path.join(d.dir, 'two.tar');
  assert.equal((await d.docker(['tag', 'busybox', 'second:v2'])).code, 0);
  const saved = await d.docker(['save', '-o', tarFile, ref, 'second:v2']);
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal((await d.docker(['rmi', ref, 'second:v2'])).code, 0);
  const loaded = await d.docker(['load', '-i', tarFile]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout, /Loaded image: second:v2/);
  assert.match(loaded.stdout, new RegExp(`Loaded image: ${ref.replace(/\./g, '\\.')}`));

  const hist = await d.docker(['history', '--format', '{{.ID}} {{.Comment}}', 'second:v2']);
  assert.equal(hist.code, 0, hist.stderr);
  assert.match(hist.stdout, /^[0-9a-f]{12} Imported from -\n$/);
});

test('bad registry content: corrupt, missing and path-escaping layers are refused; nothing stays; the daemon keeps serving', async () => {
  // corrupt: flip bytes in the stored blob of a pushed image
  const ref = `${plain.host}/broken:1`;
  const layer = gzipSync(await tarOf([{ name: 'ok.txt', content: 'fine' }]));
  const diffID = sha(await tarOf([{ name: 'ok.txt', content: 'fine' }]));
  await rawPush(plain.host, 'broken', '1', [{ blob: layer, diffID }]);
  const file = plain.blobFile(sha(layer));
  const bytes = await fsp.readFile(file);
  bytes[bytes.length - 9] ^= 0xff;
  await fsp.writeFile(file, bytes);
  const corrupt = await d.docker(['pull', ref]);
  assert.notEqual(corrupt.code, 0);
  assert.match(corrupt.stderr, /digest mismatch|failed to register layer/);
  // missing: the registry lost the blob
  await fsp.rm(path.dirname(file), { recursive: true });
  const missing = await d.docker(['pull', ref]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /blob unknown/);

  // a layer with ../ and a layer with an absolute symlink parent trick
  const evil = await tarOf([{ name: '../../escaped.txt', content: 'pwned' }]);
  await rawPush(plain.host, 'evil', '1', [{ blob: gzipSync(evil), diffID: sha(evil) }]);
  const escape = await d.docker(['pull', `${plain.host}/evil:1`]);
  assert.notEqual(escape.code, 0);
  assert.match(escape.stderr, /path escapes the layer/);
  const viaLink = await tarOf([{ name: 'out', type: 'symlink', linkname: '/tmp' }, { name: 'out/berth-escaped.txt', content: 'pwned' }]);
  await rawPush(plain.host, 'evil', '2', [{ blob: gzipSync(viaLink), diffID: sha(viaLink) }]);
  const link = await d.docker(['pull', `${plain.host}/evil:2`]);
  assert.notEqual(link.code, 0);
  assert.match(link.stderr, /is a symlink/);
  assert.equal(existsSync('/tmp/berth-escaped.txt'), false);

  const names = (await d.docker(['images', '--format', '{{.Repository}}'])).stdout;
  assert.doesNotMatch(names, /broken|evil/);
  assert.deepEqual(await ingestFiles(), []);
  assert.equal((await d.request('GET', '/_ping')).status, 200);
});

test('a pull cancelled by its client stops, leaves nothing behind, and the daemon keeps serving', async () => {
  // a registry that accepts connections and never answers blob requests
  const hang = http.createServer((req, res) => {
    if (req.url === '/v2/') { res.writeHead(200).end('{}'); return; }
    if (req.url?.includes('/manifests/')) {
      const config = Buffer.from('{}');
      const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: sha(config) }, layers: [] });
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' }).end(body);
    }
    // blob requests: never answered
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const port = (hang.address() as net.AddressInfo).port;
  try {
    const started = Date.now();
    const r = await d.docker(['pull', `127.0.0.1:${port}/stuck:1`], { timeout: 2000 });
    assert.notEqual(r.code, 0);
    assert.ok(Date.now() - started < 10000);
    assert.equal((await d.request('GET', '/_ping')).status, 200);
    await waitFor(async () => (await ingestFiles()).length === 0, 5000, 'no ingest files');
  } finally {
    hang.closeAllConnections();
    hang.close();
  }
});

test('berth registry serve: the docker CLI pushes and pulls through berthd with htpasswd auth; gc frees what nothing references', async () => {
  const root = await fsp.mkdtemp('/tmp/bt-breg-');
  const port = await freePort();
  await fsp.writeFile(path.join(root, '..', `${path.basename(root)}.htpasswd`), `bob:${bcrypt.hashSync('pw', 5)}\n`);
  const htpasswd = path.join(root, '..', `${path.basename(root)}.htpasswd`);
  const srv = spawn(process.execPath, [BERTH_CLI, 'registry', 'serve', '--addr', `127.0.0.1:${port}`, '--root', path.join(root, 'data'), '--htpasswd', htpasswd], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    let banner = '';
    srv.stdout!.on('data', (c: Buffer) => { banner += c.toString(); });
    await waitFor(async () => banner.includes('listening on'), 10000, 'berth registry');
    assert.match(banner, new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`));
    const host = `127.0.0.1:${port}`;
    assert.equal((await get(`http://${host}/v2/`)).status, 401);
    const login = await d.docker(['login', '-u', 'bob', '--password-stdin', host], { input: 'pw\n' });
    assert.equal(login.code, 0, login.stderr);
    await d.docker(['tag', 'busybox', `${host}/busybox:1`]);
    const pushed = await d.docker(['push', `${host}/busybox:1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)![1]!;
    const auth = { Authorization: `Basic ${Buffer.from('bob:pw').toString('base64')}` };
    assert.deepEqual(JSON.parse((await get(`http://${host}/v2/_catalog`, auth)).body).repositories, ['busybox']);
    assert.deepEqual(JSON.parse((await get(`http://${host}/v2/busybox/tags/list`, auth)).body).tags, ['1']);
    assert.equal((await d.docker(['rmi', `${host}/busybox:1`])).code, 0);
    const pulled = await d.docker(['pull', `${host}/busybox@${digest}`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const run = await d.docker(['run', '--rm', '--network', 'none', `${host}/busybox@${digest}`, 'echo', 'from berth registry']);
    assert.equal(run.stdout, 'from berth registry\n', run.stderr);
    await d.docker(['logout', host]);
    // delete the manifest, then gc removes its layer, config and manifest blobs
    const del = await new Promise<number>((resolve, reject) => {
      http.request(`http://${host}/v2/busybox/manifests/${digest}`, { method: 'DELETE', headers: auth }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
    });
    assert.equal(del, 202);
    srv.kill('SIGTERM');
    await new Promise((r) => srv.once('exit', r));
    const gc = await runBerth(['registry', 'gc', '--root', path.join(root, 'data'), '--grace-period', '0'], {});
    assert.equal(gc.code, 0, gc.stderr);
    assert.match(gc.stdout, /removed sha256:/);
    assert.match(gc.stdout, /freed [\d.]+[kM]B \(3 blobs\)/);
  } finally {
    if (srv.exitCode === null) srv.kill('SIGKILL');
    await fsp.rm(root, { recursive: true, force: true });
    await fsp.rm(htpasswd, { force: true });
  }
});

test('docker system df and image prune -a: unused images go with all their tags, space is reported', async () => {
  const keep = await d.docker(['create', '--network', 'none', '--name', 'pin', 'busybox', 'true']);
  assert.equal(keep.code, 0, keep.stderr);
  // an image of its own, tagged twice, used by nothing
  const layer = await tarOf([{ name: 'big.bin', content: 'x'.repeat(300_000) }]);
  await rawPush(plain.host, 'prunable', '1', [{ blob: gzipSync(layer), diffID: sha(layer) }]);
  assert.equal((await d.docker(['pull', `${plain.host}/prunable:1`])).code, 0);
  await d.docker(['tag', `${plain.host}/prunable:1`, 'prunable:also']);
  const df = await d.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']);
  assert.equal(df.code, 0, df.stderr);
  assert.match(df.stdout, /^Containers \d+ 0$/m);
  assert.match(df.stdout, /^Images \d+ 1$/m);
  const pruned = await d.docker(['image', 'prune', '-a', '-f']);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /untagged: prunable:also/);
  assert.match(pruned.stdout, /Total reclaimed space: 30\d(\.\d+)?kB/);
  const left = (await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout;
  assert.doesNotMatch(left, /prunable/);
  assert.match(left, /^busybox:latest$/m); // used by a container: kept
  assert.equal((await d.docker(['rm', 'pin'])).code, 0);
});
