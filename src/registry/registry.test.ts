/**
 * Pull and push against a protocol peer (src/registry/fakeregistry.ts) into a real image store on disk:
 * token and basic auth, platform selection, gzip/zstd/plain layers, resume after a cut connection,
 * redirects to another origin, digest verification, timeouts, and deterministic pushes.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import type { JSONMessage } from '../api/types.js';
import { ImageStore } from '../images/index.js';
import { parseNormalizedNamed } from '../core/reference.js';
import { goArch } from '../core/platform.js';
import { DistributionMetadata } from './distmeta.js';
import { FakeRegistry, sha } from './fakeregistry.js';
import { MT } from './client/media.js';
import { Progress } from './progress.js';
import { pull, type PullDeps } from './pull.js';
import { push, type PushDeps } from './push.js';
import { login } from './login.js';

async function layerTar(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

interface Built { index: string; manifest: string; configDigest: string; layers: { digest: string; diffID: string }[] }

/** An image with a gzip, a zstd and an uncompressed layer, under an index with another platform. */
async function publish(reg: FakeRegistry, repo: string, tag: string, opts: { zstd?: boolean } = {}): Promise<Built> {
  const raws = [await layerTar({ 'a.txt': 'gzip layer\n' }), await layerTar({ 'b.txt': 'plain layer\n' })];
  if (opts.zstd) raws.push(await layerTar({ 'c.txt': 'zstd layer\n' }));
  const blobs = [gzipSync(raws[0]!), raws[1]!];
  const types: string[] = [MT.ociLayerGzip, MT.ociLayer];
  if (opts.zstd) {
    blobs.push(execFileSync('zstd', ['-q', '-c'], { input: raws[2]! }));
    types.push(MT.ociLayerZstd);
  }
  const layers = blobs.map((b, i) => ({ digest: reg.addBlob(b), diffID: sha(raws[i]!), size: b.length, mediaType: types[i]! }));
  const config = Buffer.from(JSON.stringify({ architecture: goArch(), os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) } }));
  const configDigest = reg.addBlob(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: configDigest, size: config.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  }));
  const mDigest = reg.putManifest(repo, sha(manifest), MT.ociManifest, manifest);
  const other = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: sha('nothing'), size: 7 }, layers: [] }));
  const oDigest = reg.putManifest(repo, sha(other), MT.ociManifest, other);
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT.ociIndex, manifests: [
      { mediaType: MT.ociManifest, digest: oDigest, size: other.length, platform: { os: 'linux', architecture: 's390x' } },
      { mediaType: MT.ociManifest, digest: mDigest, size: manifest.length, platform: { os: 'linux', architecture: goArch() } },
    ],
  }));
  const iDigest = reg.putManifest(repo, tag, MT.ociIndex, index);
  return { index: iDigest, manifest: mDigest, configDigest, layers };
}

async function env(t: TestContext) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-reg-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  const images = await ImageStore.open(dir);
  const dist = await DistributionMetadata.open(path.join(dir, 'dist'));
  const messages: JSONMessage[] = [];
  const progress = new Progress((m) => messages.push(m), 0);
  const registries = { mirrors: [], insecure: [] };
  const pullDeps: PullDeps = {
    store: {
      hasLayer: (d) => images.hasLayer(d), ingestLayer: (d, s) => images.ingestLayer(d, s), withLayersHeld: (d, f) => images.withLayersHeld(d, f),
      createImage: (c) => images.createImage(c), setReference: (r, id) => images.setReference(r, id), currentId: (r) => images.currentId(r),
    },
    dist, registries, hostArch: goArch(), timeoutMs: 1000,
  };
  const pushDeps: PushDeps = {
    store: {
      image: (r) => images.pushable(r), tagsOf: (n) => images.referencesByName(n), layerTar: (d) => images.layerTar(d),
      layerSize: (d) => images.layerTarSize(d), setReference: (r, id) => images.setReference(r, id),
    },
    dist, registries, timeoutMs: 2000,
  };
  return { dir, images, dist, messages, progress, pullDeps, pushDeps };
}

async function startRegistry(t: TestContext, opts: ConstructorParameters<typeof FakeRegistry>[0] = {}): Promise<FakeRegistry> {
  const reg = await new FakeRegistry(opts).start();
  t.after(() => reg.close());
  return reg;
}

async function leftovers(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['image/content/ingest', 'image/tmp']) out.push(...(await fsp.readdir(path.join(dir, sub)).catch(() => [])));
  return out;
}

test('pull through a bearer token: index platform chosen, gzip, zstd and plain layers stored and unpacked', async (t) => {
  const reg = await startRegistry(t, { auth: 'bearer' });
  const built = await publish(reg, 'lib/app', 'v1', { zstd: true });
  const { images, messages, progress, pullDeps, dir } = await env(t);
  const id = await pull(pullDeps, parseNormalizedNamed(`${reg.host}/lib/app:v1`), { progress });
  assert.equal(id, built.configDigest);
  const rec = images.resolve(`${reg.host}/lib/app:v1`);
  assert.deepEqual(rec.diffIDs, built.layers.map((l) => l.diffID));
  assert.deepEqual(rec.repoDigests, [`${reg.host}/lib/app@${built.index}`]);
  for (const [i, f] of ['a.txt', 'b.txt', 'c.txt'].entries()) {
    assert.match(await fsp.readFile(path.join(images.snapshotter.layerPath(built.layers[i]!.diffID), f), 'utf8'), /layer/);
  }
  // the token was asked for the repository's pull scope, and the s390x manifest was never fetched
  assert.ok(reg.log.some((l) => l.startsWith('token scope=') && l.includes('repository:lib/app:pull')), reg.log.join('\n'));
  const statuses = messages.map((m) => `${m.id ?? ''} ${m.status}`);
  assert.ok(statuses.includes(`v1 Pulling from ${reg.host}/lib/app`), statuses.join('\n'));
  assert.equal(statuses.filter((s) => s.endsWith('Pull complete')).length, 3);
  assert.equal(messages.at(-1)!.status, `Status: Downloaded newer image for ${reg.host}/lib/app:v1`);
  assert.deepEqual(await leftovers(dir), []);
  // again: nothing downloaded
  messages.length = 0;
  reg.log.length = 0;
  await pull(pullDeps, parseNormalizedNamed(`${reg.host}/lib/app:v1`), { progress });
  assert.equal(messages.filter((m) => m.status === 'Already exists').length, 3);
  assert.equal(messages.at(-1)!.status, `Status: Image is up to date for ${reg.host}/lib/app:v1`);
  assert.ok(!reg.log.some((l) => /\/blobs\/sha256:/.test(l) && !l.includes(built.configDigest)), reg.log.join('\n'));
});

test('a cut connection is resumed with a Range request; a redirect to another origin gets no credentials', async (t) => {
  const reg = await startRegistry(t, { auth: 'basic', user: 'u', password: 'p' });
  const built = await publish(reg, 'app', 'v1');
  const big = built.layers[1]!;
  reg.faults.cutBlob = { digest: big.digest, after: 100, times: 2 };
  reg.faults.redirectBlobs = true;
  const { images, progress, pullDeps } = await env(t);
  await pull(pullDeps, parseNormalizedNamed(`${reg.host}/app:v1`), { progress, creds: { username: 'u', password: 'p' } });
  assert.ok(images.resolve(`${reg.host}/app:v1`));
  const cdn = reg.log.filter((l) => l.includes('/cdn/'));
  assert.ok(cdn.length >= 4, reg.log.join('\n'));
  assert.ok(cdn.every((l) => !l.includes('[auth]')), cdn.join('\n'));
  assert.ok(reg.log.some((l) => l.includes(`/v2/app/blobs/${big.digest}`) && l.includes('[auth]')));
});

test('wrong credentials: Docker\'s pull access denied; missing tag: manifest unknown', async (t) => {
  const reg = await startRegistry(t, { auth: 'bearer', user: 'u', password: 'p' });
  await publish(reg, 'app', 'v1');
  const { progress, pullDeps, images } = await env(t);
  await assert.rejects(pull(pullDeps, parseNormalizedNamed(`${reg.host}/app:v1`), { progress, creds: { username: 'u', password: 'wrong' } }),
    /pull access denied for 127\.0\.0\.1:\d+\/app, repository does not exist or may require 'docker login'/);
  await assert.rejects(pull(pullDeps, parseNormalizedNamed(`${reg.host}/app:v2`), { progress, creds: { username: 'u', password: 'p' } }),
    /manifest for 127\.0\.0\.1:\d+\/app:v2 not found: manifest unknown: manifest unknown/);
  assert.equal(images.list().length, 0);
  await assert.rejects(login(pullDeps.registries, { username: 'u', password: 'wrong', serveraddress: reg.host }), /login attempt to http:\/\/127\.0\.0\.1:\d+\/v2\/ failed with status: 401 Unauthorized/);
  assert.deepEqual(await login(pullDeps.registries, { username: 'u', password: 'p', serveraddress: `http://${reg.host}` }), { Status: 'Login Succeeded', IdentityToken: '' });
});

test('a corrupt or truncated blob is refused and nothing of it is stored', async (t) => {
  const reg = await startRegistry(t);
  const built = await publish(reg, 'app', 'v1');
  const layer = built.layers[0]!;
  const good = reg.blobs.get(layer.digest)!;
  const { images, progress, pullDeps, dir } = await env(t);
  const corrupt = Buffer.from(good);
  corrupt[corrupt.length - 9] ^= 0xff; // in the gzip trailer's CRC: still a gzip stream, wrong digest
  reg.faults.corrupt = { digest: layer.digest, bytes: corrupt };
  await assert.rejects(pull(pullDeps, parseNormalizedNamed(`${reg.host}/app:v1`), { progress }), /digest mismatch|failed to register layer/);
  reg.faults.corrupt = { digest: layer.digest, bytes: good.subarray(0, good.length - 20) };
  await assert.rejects(pull(pullDeps, parseNormalizedNamed(`${reg.host}/app:v1`), { progress }), /truncated|unexpected end|failed to register layer/);
  assert.equal(await images.hasLayer(layer.diffID), false);
  assert.equal(await images.content.has(layer.diffID), false);
  assert.equal(images.list().length, 0);
  assert.deepEqual(await leftovers(dir), []);
  delete reg.faults.corrupt;
  await pull(pullDeps, parseNormalizedNamed(`${reg.host}/app:v1`), { progress });
  assert.equal(await images.hasLayer(layer.diffID), true);
});

test('a registry that stops answering fails the pull within the timeout', async (t) => {
  const reg = await startRegistry(t);
  const built = await publish(reg, 'app', 'v1');
  reg.faults.hang = built.layers[0]!.digest;
  const { progress, pullDeps, images, dir } = await env(t);
  const started = Date.now();
  await assert.rejects(pull(pullDeps, parseNormalizedNamed(`${reg.host}/app:v1`), { progress }), /did not answer within 1s/);
  assert.ok(Date.now() - started < 20_000);
  assert.equal(images.list().length, 0);
  assert.deepEqual(await leftovers(dir), []);
});

test('push: uploads, then skips what the registry has; the manifest digest is the same each time and pulls back to the same image', async (t) => {
  const reg = await startRegistry(t, { auth: 'bearer' });
  const src = await startRegistry(t);
  await publish(src, 'app', 'v1');
  const { images, messages, progress, pullDeps, pushDeps } = await env(t);
  const id = await pull(pullDeps, parseNormalizedNamed(`${src.host}/app:v1`), { progress });
  await images.tag(id, `${reg.host}/team/app`, 'v1');
  messages.length = 0;
  await push(pushDeps, parseNormalizedNamed(`${reg.host}/team/app:v1`), { progress });
  const aux = messages.find((m) => m.aux)!.aux as { Tag: string; Digest: string; Size: number };
  assert.equal(aux.Tag, 'v1');
  assert.equal(messages.filter((m) => m.status === 'Pushed').length, 2);
  assert.ok(images.resolve(id).repoDigests.includes(`${reg.host}/team/app@${aux.Digest}`));
  // second push: every layer already there, same manifest
  messages.length = 0;
  await push(pushDeps, parseNormalizedNamed(`${reg.host}/team/app:v1`), { progress });
  assert.equal(messages.filter((m) => m.status === 'Layer already exists').length, 2);
  assert.equal((messages.find((m) => m.aux)!.aux as { Digest: string }).Digest, aux.Digest);
  // a push to another repository of the same registry mounts the layers
  await images.tag(id, `${reg.host}/other/app`, 'v1');
  messages.length = 0;
  await push(pushDeps, parseNormalizedNamed(`${reg.host}/other/app:v1`), { progress });
  assert.equal(messages.filter((m) => m.status === 'Mounted from team/app'.replace('team/app', `${reg.host}/team/app`)).length, 2, JSON.stringify(messages));
  // pull back into a fresh store: same image id, same digest
  const fresh = await env(t);
  const id2 = await pull(fresh.pullDeps, parseNormalizedNamed(`${reg.host}/team/app:v1`), { progress: fresh.progress });
  assert.equal(id2, id);
  assert.ok(fresh.images.resolve(id2).repoDigests.includes(`${reg.host}/team/app@${aux.Digest}`));
});

test('push: an upload cut mid-stream resumes from the registry\'s offset and ends with the right digest', async (t) => {
  const src = await startRegistry(t);
  const reg = await startRegistry(t);
  await publish(src, 'app', 'v1');
  const { images, messages, progress, pullDeps, pushDeps } = await env(t);
  const id = await pull(pullDeps, parseNormalizedNamed(`${src.host}/app:v1`), { progress });
  await images.tag(id, `${reg.host}/app`, 'v1');
  reg.faults.cutUpload = { after: 50, times: 1 };
  messages.length = 0;
  await push(pushDeps, parseNormalizedNamed(`${reg.host}/app:v1`), { progress });
  assert.ok(reg.log.includes('cut upload after 50'), reg.log.join('\n'));
  // the resumed upload asked where the registry stood, and the blobs it holds verify
  assert.ok(reg.log.some((l) => l.startsWith('GET /upload/')), reg.log.join('\n'));
  const aux = messages.find((m) => m.aux)!.aux as { Digest: string };
  const fresh = await env(t);
  assert.equal(await pull(fresh.pullDeps, parseNormalizedNamed(`${reg.host}/app@${aux.Digest}`), { progress: fresh.progress }), id);
});

test('a manifest larger than 4 MiB is refused before it is read whole; nothing is stored', async (t) => {
  const reg = await startRegistry(t);
  const huge = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, pad: 'x'.repeat(5 << 20) }));
  reg.putManifest('app', 'big', MT.ociManifest, huge);
  const { images, progress, pullDeps } = await env(t);
  await assert.rejects(pull(pullDeps, parseNormalizedNamed(`${reg.host}/app:big`), { progress }), /manifest big is too large/);
  assert.equal(images.list().length, 0);
});
