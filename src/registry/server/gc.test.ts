import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { desc, imageManifest, OCI_INDEX, OCI_MANIFEST, pushBlob, putManifest, request, sha256, startRegistry } from './testclient.js';

const layersOf = (m: Buffer) => {
  const doc = JSON.parse(m.toString()) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
  return [doc.config, ...doc.layers];
};
const blobFiles = async (root: string) => (await fs.readdir(path.join(root, 'blobs', 'sha256'))).map((h) => `sha256:${h}`).sort();

describe('registry server: garbage collection', () => {
  it('removes blobs no manifest refers to, keeps the rest, and drops empty repositories', async (t) => {
    const { base, root, server } = await startRegistry(t);
    const keep = await imageManifest(base, 'app', 'keep');
    const drop = await imageManifest(base, 'app', 'drop');
    assert.equal((await putManifest(base, 'app', 'keep', keep)).status, 201);
    assert.equal((await putManifest(base, 'app', 'drop', drop)).status, 201);
    // an index whose child is untagged: the child stays alive through the index
    const child = await imageManifest(base, 'app', 'child');
    assert.equal((await putManifest(base, 'app', sha256(child), child)).status, 201);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc(OCI_MANIFEST, child)] }));
    assert.equal((await putManifest(base, 'app', 'multi', index, OCI_INDEX)).status, 201);
    const stray = await pushBlob(base, 'app', 'never referenced');
    const lonely = await pushBlob(base, 'lonely/repo', 'only blob of an otherwise empty repository');
    // a layer shared with another repository, whose own manifest goes away
    const shared = layersOf(keep)[1].digest;
    assert.equal((await request(base, 'POST', `/v2/other/blobs/uploads/?mount=${shared}&from=app`)).status, 201);
    assert.equal((await request(base, 'DELETE', `/v2/app/manifests/${sha256(drop)}`)).status, 202);

    const expected = [sha256(drop), ...layersOf(drop).map((d) => d.digest), stray, lonely].sort();
    const expectedBytes = drop.length + layersOf(drop).reduce((n, d) => n + d.size, 0) + 'never referenced'.length + 'only blob of an otherwise empty repository'.length;

    const before = await blobFiles(root);
    const dry = await server.gc({ dryRun: true, gracePeriodMs: 0 });
    assert.deepEqual([...dry.removed].sort(), expected);
    assert.equal(dry.freedBytes, expectedBytes);
    assert.deepEqual(await blobFiles(root), before, 'a dry run removes nothing');

    const res = await server.gc({ gracePeriodMs: 0 });
    assert.deepEqual([...res.removed].sort(), expected);
    assert.equal(res.freedBytes, expectedBytes);
    assert.deepEqual(res.removedRepositories, ['lonely/repo']);
    assert.deepEqual(await blobFiles(root), before.filter((d) => !expected.includes(d)));

    for (const ref of ['keep', 'multi', sha256(child)]) assert.equal((await request(base, 'GET', `/v2/app/manifests/${ref}`)).status, 200, ref);
    for (const d of [...layersOf(keep), ...layersOf(child)]) assert.equal((await request(base, 'GET', `/v2/app/blobs/${d.digest}`)).status, 200);
    assert.equal((await request(base, 'GET', `/v2/other/blobs/${shared}`)).status, 200, 'the mounted link stays');
    for (const d of layersOf(drop)) assert.equal((await request(base, 'HEAD', `/v2/app/blobs/${d.digest}`)).status, 404);
    assert.equal((await request(base, 'HEAD', `/v2/app/blobs/${stray}`)).status, 404);
    assert.deepEqual((await request(base, 'GET', '/v2/_catalog')).json(), { repositories: ['app', 'other'] });

    const second = await server.gc({ gracePeriodMs: 0 });
    assert.deepEqual(second.removed, []);
  });

  it('keeps recently pushed unreferenced blobs within the grace period (a push in progress)', async (t) => {
    const { base, server } = await startRegistry(t);
    const layer = await pushBlob(base, 'pushing', 'layer pushed before its manifest');
    const res = await server.gc();
    assert.deepEqual(res.removed, []);
    assert.equal((await request(base, 'HEAD', `/v2/pushing/blobs/${layer}`)).status, 200);
  });

  it('never leaves an accepted manifest pointing at a collected blob when gc runs during pushes', async (t) => {
    const { base, server } = await startRegistry(t);
    const accepted: Buffer[] = [];
    for (let i = 0; i < 15; i++) {
      const m = await imageManifest(base, 'race', `image ${i}`);
      // gc starts a little before, with, or after the manifest push reaches the server
      const gcLater = new Promise((r) => setTimeout(r, i % 5)).then(() => server.gc({ gracePeriodMs: 0 }));
      const [put] = await Promise.all([putManifest(base, 'race', `t${i}`, m), gcLater]);
      if (put.status === 201) accepted.push(m);
      else assert.equal(put.status, 400, 'refused only because gc took its blobs first');
    }
    t.diagnostic(`${accepted.length} of 15 manifests accepted`);
    assert.ok(accepted.length > 0);
    for (const m of accepted) {
      for (const d of layersOf(m)) assert.equal((await request(base, 'HEAD', `/v2/race/blobs/${d.digest}`)).status, 200);
    }
  });
});
