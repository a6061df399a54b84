import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isKind } from '../core/errors.js';
import { makeTar } from '../snapshots/testutil.js';
import { loadArchive, saveArchive } from './archive.js';
import { ImageStore } from './index.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function collect(fn: (out: PassThrough) => Promise<void>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await fn(out);
  return Buffer.concat(chunks);
}

async function tarEntries(buf: Buffer): Promise<Map<string, Buffer>> {
  const { extract } = await import('tar-stream');
  const ex = extract();
  const out = new Map<string, Buffer>();
  const feeding = new Promise<void>((resolve, reject) => {
    Readable.from([buf]).pipe(ex as unknown as NodeJS.WritableStream).on('error', reject);
    resolve();
  });
  for await (const e of ex) {
    const parts: Buffer[] = [];
    for await (const c of e as AsyncIterable<Buffer>) parts.push(c);
    out.set(e.header.name, Buffer.concat(parts));
  }
  await feeding;
  return out;
}

describe('ImageStore (integration)', () => {
  let tmp: string;
  let store: ImageStore;
  let rootfs: Buffer;
  let id: string;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-images-'));
    store = await ImageStore.open(path.join(tmp, 'a'));
    rootfs = await makeTar([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/sh', content: 'shell', mode: 0o755 },
      { name: 'etc/hostname', content: 'x' },
    ]);
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('imports a gzipped rootfs with changes and a tag', async () => {
    const rec = await store.importRootfs(Readable.from([gzipSync(rootfs)]), {
      repo: 'busybox',
      tag: 'latest',
      changes: ['CMD ["sh"]', 'ENV A=b', 'LABEL x=y'],
    });
    id = rec.id;
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    assert.deepEqual(rec.diffIDs, [sha(rootfs)]);
    assert.deepEqual(rec.repoTags, ['busybox:latest']);
    assert.equal(rec.size, 6);
    assert.equal(id, sha(await store.content.readBuffer(id)));
    assert.equal(rec.config.os, 'linux');
    assert.equal(rec.config.architecture, process.arch === 'x64' ? 'amd64' : rec.config.architecture);
    assert.deepEqual(rec.config.history, [{ created: rec.config.created, comment: 'Imported from -' }]);
    assert.deepEqual(rec.config.config?.Cmd, ['sh']);
    assert.deepEqual(rec.config.config?.Env, ['A=b']);
  });

  it('resolves by every reference form', () => {
    const hex = id.slice(7);
    for (const r of [id, hex, hex.slice(0, 12), hex.slice(0, 1), `sha256:${hex.slice(0, 5)}`, 'busybox', 'busybox:latest', 'library/busybox', 'docker.io/library/busybox:latest']) {
      assert.equal(store.resolve(r).id, id, r);
    }
    assert.throws(() => store.resolve('nothere'), { message: 'No such image: nothere:latest' });
    assert.throws(() => store.resolve('busybox:1'), (e) => isKind(e, 'NotFound'));
    assert.throws(() => store.resolve(`sha256:${'0'.repeat(64)}`), { message: `No such image: sha256:${'0'.repeat(64)}` });
    assert.throws(() => store.resolve('BusyBox'), (e) => isKind(e, 'InvalidArgument'));
  });

  it('tags and inspects', async () => {
    assert.equal(await store.tag('busybox', 'localhost:5000/bb', 'v1'), 'localhost:5000/bb:v1');
    await store.tag(id.slice(7, 19), 'other');
    await assert.rejects(store.tag('busybox', 'x', '-bad'), { message: 'invalid tag format' });
    await assert.rejects(store.tag('missing', 'x'), (e) => isKind(e, 'NotFound'));
    const ins = store.inspect('other:latest');
    assert.equal(ins.Id, id);
    assert.deepEqual(ins.RepoTags, ['busybox:latest', 'localhost:5000/bb:v1', 'other:latest']);
    assert.deepEqual(ins.RepoDigests, []);
    assert.deepEqual(ins.RootFS, { Type: 'layers', Layers: [sha(rootfs)] });
    assert.equal(ins.Os, 'linux');
    assert.equal(ins.Comment, 'Imported from -');
    assert.equal(ins.Size, 6);
    assert.equal(ins.Parent, '');
    assert.equal(ins.GraphDriver.Name, 'overlay2');
    assert.ok(ins.GraphDriver.Data?.['UpperDir']?.endsWith('/diff'));
    assert.notEqual(ins.Metadata.LastTagTime, '0001-01-01T00:00:00Z');
    assert.deepEqual(ins.Config.Labels, { x: 'y' });
  });

  it('lists summaries with filters', async () => {
    const plain = await store.importRootfs(Readable.from([await makeTar([{ name: 'f', content: 'z' }])]), {});
    const all = store.summaries();
    assert.equal(all.length, 2);
    const s = all.find((x) => x.Id === id)!;
    assert.equal(s.Containers, -1);
    assert.equal(s.Size, 6);
    assert.equal(typeof s.Created, 'number');
    assert.deepEqual(s.Labels, { x: 'y' });
    assert.deepEqual(store.summaries({ filters: { dangling: ['true'] } }).map((x) => x.Id), [plain.id]);
    assert.deepEqual(store.summaries({ filters: { dangling: ['false'] } }).map((x) => x.Id), [id]);
    assert.deepEqual(store.summaries({ filters: { reference: ['busy*'] } }).map((x) => x.Id), [id]);
    assert.deepEqual(store.summaries({ filters: { reference: ['localhost:5000/bb:v*'] } }).map((x) => x.Id), [id]);
    assert.deepEqual(store.summaries({ filters: { reference: ['nomatch'] } }), []);
    assert.deepEqual(store.summaries({ filters: { label: ['x=y'] } }).map((x) => x.Id), [id]);
    assert.deepEqual(store.summaries({ filters: { label: ['x=z'] } }), []);
    assert.throws(() => store.summaries({ filters: { bogus: ['1'] } }), (e) => isKind(e, 'InvalidArgument'));
    assert.deepEqual((await store.remove(plain.id)).map((r) => Object.keys(r)[0]), ['Deleted', 'Deleted']);
  });

  it('persists across reopen', async () => {
    const again = await ImageStore.open(path.join(tmp, 'a'));
    assert.deepEqual(again.resolve('busybox').repoTags, ['busybox:latest', 'localhost:5000/bb:v1', 'other:latest']);
    assert.equal(again.list().length, 1);
  });

  it('saves in Docker and OCI layout and loads into a fresh store with the same id', async () => {
    const archive = await collect((out) => saveArchive(store, ['busybox'], out));
    const entries = await tarEntries(archive);
    assert.ok(entries.has('oci-layout') && entries.has('index.json') && entries.has('manifest.json') && entries.has('repositories'));
    const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    assert.deepEqual(manifest, [{ Config: `blobs/sha256/${id.slice(7)}`, RepoTags: ['busybox:latest'], Layers: [`blobs/sha256/${sha(rootfs).slice(7)}`] }]);
    assert.deepEqual(entries.get(manifest[0]!.Layers[0]!), rootfs);
    const index = JSON.parse(entries.get('index.json')!.toString()) as { manifests: { annotations: Record<string, string> }[] };
    assert.equal(index.manifests[0]!.annotations['io.containerd.image.name'], 'docker.io/library/busybox:latest');

    const fresh = await ImageStore.open(path.join(tmp, 'b'));
    const lines: string[] = [];
    assert.deepEqual(await loadArchive(fresh, Readable.from([archive]), (l: string) => lines.push(l)), [id]);
    assert.deepEqual(lines, ['Loaded image: busybox:latest']);
    const got = fresh.resolve('busybox');
    assert.equal(got.id, id);
    assert.equal(got.size, 6);
    assert.equal(await fs.readFile(path.join(fresh.snapshotter.layerPath(got.diffIDs[0]!), 'bin/sh'), 'utf8'), 'shell');

    // by id: untagged; loading again over a moved tag reports the rename
    const byId = await collect((out) => saveArchive(store, [id.slice(7, 19)], out));
    const lines2: string[] = [];
    const fresh2 = await ImageStore.open(path.join(tmp, 'c'));
    await loadArchive(fresh2, Readable.from([byId]), (l: string) => lines2.push(l));
    assert.deepEqual(lines2, [`Loaded image ID: ${id}`]);

    // the same archive read as a plain OCI layout (no manifest.json), gzipped layer
    const other = await fresh2.importRootfs(Readable.from([await makeTar([{ name: 'o', content: 'o' }])]), { repo: 'busybox' });
    const oci = await makeOciLayout(entries);
    const lines3: string[] = [];
    await loadArchive(fresh2, Readable.from([oci]), (l: string) => lines3.push(l));
    assert.deepEqual(lines3, [
      `The image busybox:latest already exists, renaming the old one with ID ${other.id} to empty string`,
      'Loaded image: busybox:latest',
    ]);
    assert.equal(fresh2.resolve('busybox').id, id);
  });

  /** Rebuilds the saved archive as an OCI-only layout with a gzipped layer. */
  async function makeOciLayout(entries: Map<string, Buffer>): Promise<Buffer> {
    const gz = gzipSync(rootfs);
    const config = await store.content.readBuffer(id);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: id, size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(gz), size: gz.length }],
      }),
    );
    const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'busybox:latest' } }] };
    assert.ok(entries.size > 0);
    return makeTar([
      { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', content: JSON.stringify(index) },
      { name: `blobs/sha256/${sha(manifest).slice(7)}`, content: manifest },
      { name: `blobs/sha256/${id.slice(7)}`, content: config },
      { name: `blobs/sha256/${sha(gz).slice(7)}`, content: gz },
    ]);
  }

  it('rejects malicious or inconsistent archives and leaves nothing behind', async () => {
    const s = await ImageStore.open(path.join(tmp, 'd'));
    const evilLayer = await makeTar([{ name: '../../escape', content: 'x' }]);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(evilLayer)] } }));
    const manifest = (layers: string[]) => JSON.stringify([{ Config: 'config.json', RepoTags: ['evil:latest'], Layers: layers }]);
    const cases: Buffer[] = [
      await makeTar([{ name: '../outside', content: 'x' }]),
      await makeTar([{ name: '/abs', content: 'x' }]),
      await makeTar([{ name: 'manifest.json', content: manifest(['layer.tar']) }, { name: 'config.json', content: config }, { name: 'layer.tar', content: evilLayer }]),
      await makeTar([
        { name: 'manifest.json', content: manifest(['layer.tar']) },
        { name: 'config.json', content: config },
        { name: 'layer.tar', content: rootfs }, // does not match diff_ids
      ]),
      await makeTar([
        { name: 'manifest.json', content: manifest(['link']) },
        { name: 'config.json', content: config },
        { name: 'link', type: 'symlink', linkname: '/etc/passwd' },
      ]),
      await makeTar([{ name: 'manifest.json', content: manifest([]) }, { name: 'config.json', content: config }]),
      await makeTar([{ name: 'random', content: 'x' }]),
    ];
    for (const [i, c] of cases.entries()) {
      await assert.rejects(loadArchive(s, Readable.from([c]), () => {}), (e) => isKind(e, 'InvalidArgument'), `case ${i}`);
    }
    assert.deepEqual(s.list(), []);
    assert.deepEqual(await s.content.list(), []);
    assert.deepEqual(await s.snapshotter.listLayers(), []);
    assert.deepEqual(await fs.readdir(path.join(tmp, 'd', 'image', 'tmp')), []);
    await assert.rejects(fs.stat(path.join(tmp, 'd', 'escape')));
    await assert.rejects(fs.stat(path.join(tmp, 'escape')));
  });

  it('removes with Docker semantics', async () => {
    const s = await ImageStore.open(path.join(tmp, 'e'));
    const rec = await s.importRootfs(Readable.from([rootfs]), { repo: 'app', tag: '1' });
    const short = rec.id.slice(7, 19);
    await s.tag('app:1', 'app', '2');
    // by id with two tags: must force
    await assert.rejects(s.remove(rec.id), {
      message: `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
    });
    // by tag: untag only
    assert.deepEqual(await s.remove('app:2'), [{ Untagged: 'app:2' }]);
    // last tag, used by a stopped container: must force
    const users = () => ['c0ffee0123456789'];
    await assert.rejects(s.remove('app:1', {}, users), {
      message: `conflict: unable to remove repository reference "app:1" (must force) - container c0ffee012345 is using its referenced image ${short}`,
    });
    // by id, used by a running container: cannot be forced
    await assert.rejects(s.remove(rec.id, { force: true }, () => [{ id: 'abcdef0123456789', running: true }]), {
      message: `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container abcdef012345`,
    });
    // force-untag while a running container uses it: untagged, image kept dangling
    assert.deepEqual(await s.remove('app:1', { force: true }, () => [{ id: 'abcdef0123456789', running: true }]), [{ Untagged: 'app:1' }]);
    assert.equal(s.resolve(rec.id).repoTags.length, 0);
    // dangling, by id: deleted with its layer
    await s.tag(rec.id, 'app', '3');
    const res = await s.remove('app:3');
    assert.deepEqual(res, [{ Untagged: 'app:3' }, { Deleted: rec.id }, { Deleted: rec.diffIDs[0] }]);
    assert.throws(() => s.resolve(rec.id), (e) => isKind(e, 'NotFound'));
    assert.deepEqual(await s.snapshotter.listLayers(), []);
    assert.deepEqual(await s.content.list(), []);
  });

  it('keeps layers used by a container snapshot until pruned', async () => {
    const s = await ImageStore.open(path.join(tmp, 'f'));
    const rec = await s.importRootfs(Readable.from([rootfs]), {});
    await s.snapshotter.create('ctr1', rec.diffIDs);
    assert.deepEqual(await s.remove(rec.id, { force: true }, () => ['ctr1']), [{ Deleted: rec.id }]);
    assert.deepEqual(await s.snapshotter.listLayers(), rec.diffIDs);
    assert.deepEqual(await s.prune(), []);
    await s.snapshotter.remove('ctr1');
    assert.deepEqual(await s.prune(), rec.diffIDs);
    assert.deepEqual(await s.content.list(), []);
  });
  it('ingests a layer of unknown digest in one pass, held until released; records a parent', async () => {
    const s = await ImageStore.open(path.join(tmp, 'g'));
    const base = await s.importRootfs(Readable.from([rootfs]), {});
    const layer = await makeTar([{ name: 'app/', type: 'directory' }, { name: 'app/x', content: 'built' }]);
    const got = await s.ingestLayerStream(Readable.from([layer]), { sync: false });
    assert.equal(got.diffID, sha(layer));
    assert.equal(await s.hasLayer(got.diffID), true);
    assert.equal(await fs.readFile(path.join(s.snapshotter.layerPath(got.diffID), 'app/x'), 'utf8'), 'built');
    // held: a prune meanwhile keeps it
    assert.deepEqual(await s.prune(), []);
    const config = { ...base.config, rootfs: { type: 'layers' as const, diff_ids: [...base.diffIDs, got.diffID] }, history: [] };
    const child = await s.createImage(Buffer.from(JSON.stringify(config)), { parent: base.id });
    got.release();
    assert.equal(s.inspect(child.id).Parent, base.id);
    // the untagged parent has a child: `images` leaves it out, unless all
    assert.deepEqual(s.summaries({ all: false }).map((x) => x.Id), [child.id]);
    assert.deepEqual(s.summaries({ all: true }).map((x) => x.Id).sort(), [base.id, child.id].sort());
    assert.equal(s.summaries({ all: false })[0]!.ParentId, base.id);
    // a second ingest of the same content names the same layer
    const again = await s.ingestLayerStream(Readable.from([layer]));
    assert.equal(again.diffID, got.diffID);
    again.release();
    // a layer nothing holds or uses is pruned
    const orphan = await s.ingestLayerStream(Readable.from([await makeTar([{ name: 'o', content: 'o' }])]));
    orphan.release();
    assert.deepEqual(await s.prune(), [orphan.diffID]);
  });
  it('an unflushed record a power cut cut short is skipped at the next open, the others load', async () => {
    const dir = path.join(tmp, 'h');
    const s = await ImageStore.open(dir);
    const base = await s.importRootfs(Readable.from([rootfs]), { repo: 'keep' });
    const config = { ...base.config, config: { Env: ['STEP=1'] }, history: [] };
    const child = await s.createImage(Buffer.from(JSON.stringify(config)), { parent: base.id, sync: false });
    const other = await s.createImage(Buffer.from(JSON.stringify({ ...config, config: { Env: ['STEP=2'] } })), { parent: base.id, sync: false });
    // what a power cut may leave of files written without fsync: an empty record, a cut config
    await fs.writeFile(path.join(dir, 'image', 'images', `${child.id.slice(7)}.json`), '');
    await fs.writeFile(path.join(dir, 'image', 'content', 'blobs', 'sha256', other.id.slice(7)), '{"archi');
    const again = await ImageStore.open(dir);
    assert.deepEqual(again.summaries({ all: true }).map((x) => x.Id), [base.id]);
    assert.equal(again.resolve('keep').id, base.id);
  });
});
