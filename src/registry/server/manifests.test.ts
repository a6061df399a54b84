import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  desc,
  imageManifest,
  OCI_INDEX,
  OCI_MANIFEST,
  pushBlob,
  putManifest,
  request,
  sha256,
  startRegistry,
  type Reply,
} from './testclient.js';

type Errors = { errors: { code: string; message: string; detail: unknown }[] };
const codes = (r: Reply) => r.json<Errors>().errors.map((e) => e.code);
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

describe('registry server: manifests', () => {
  it('stores a manifest byte for byte and serves it by tag and digest', async (t) => {
    const { base } = await startRegistry(t);
    const m = await imageManifest(base, 'lib/web', 'one');
    // odd but valid formatting: the bytes must come back unchanged
    const bytes = Buffer.from(JSON.stringify(JSON.parse(m.toString()), null, 3) + '\n');
    const digest = sha256(bytes);
    const put = await putManifest(base, 'lib/web', 'v1', bytes);
    assert.equal(put.status, 201);
    assert.equal(put.headers.location, `/v2/lib/web/manifests/${digest}`);
    assert.equal(put.headers['docker-content-digest'], digest);
    assert.equal(put.headers['oci-subject'], undefined);

    for (const ref of ['v1', digest]) {
      const get = await request(base, 'GET', `/v2/lib/web/manifests/${ref}`);
      assert.equal(get.status, 200);
      assert.deepEqual(get.body, bytes);
      assert.equal(get.headers['content-type'], OCI_MANIFEST);
      assert.equal(get.headers['docker-content-digest'], digest);
      const head = await request(base, 'HEAD', `/v2/lib/web/manifests/${ref}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(bytes.length));
      assert.equal(head.headers['docker-content-digest'], digest);
      assert.equal(head.body.length, 0);
    }
    // the manifest is also a blob of the repository (as in distribution)
    assert.equal((await request(base, 'HEAD', `/v2/lib/web/blobs/${digest}`)).status, 200);

    const unknownTag = await request(base, 'GET', '/v2/lib/web/manifests/v2');
    assert.equal(unknownTag.status, 404);
    assert.deepEqual(codes(unknownTag), ['MANIFEST_UNKNOWN']);
    const unknownRepo = await request(base, 'GET', '/v2/lib/nothing/manifests/v1');
    assert.equal(unknownRepo.status, 404);
    assert.deepEqual(codes(unknownRepo), ['NAME_UNKNOWN']);
  });

  it('accepts Docker schema2 manifests and manifest lists, and OCI indexes, with their media types', async (t) => {
    const { base } = await startRegistry(t);
    const config = '{"architecture":"arm64","os":"linux"}';
    const layer = 'docker layer';
    await pushBlob(base, 'multi', config);
    await pushBlob(base, 'multi', layer);
    const docker = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: desc('application/vnd.docker.container.image.v1+json', config),
      layers: [desc('application/vnd.docker.image.rootfs.diff.tar.gzip', layer)],
    }));
    assert.equal((await putManifest(base, 'multi', 'arm64', docker, DOCKER_MANIFEST)).status, 201);
    const oci = await imageManifest(base, 'multi', 'amd64');
    assert.equal((await putManifest(base, 'multi', 'amd64', oci)).status, 201);

    const list = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_LIST,
      manifests: [{ ...desc(DOCKER_MANIFEST, docker), platform: { architecture: 'arm64', os: 'linux' } }],
    }));
    assert.equal((await putManifest(base, 'multi', 'list', list, DOCKER_LIST)).status, 201);
    // an index without mediaType: the Content-Type says what it is
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [desc(OCI_MANIFEST, oci), desc(DOCKER_MANIFEST, docker)] }));
    assert.equal((await putManifest(base, 'multi', 'index', index, OCI_INDEX)).status, 201);

    const types: Record<string, string> = { arm64: DOCKER_MANIFEST, amd64: OCI_MANIFEST, list: DOCKER_LIST, index: OCI_INDEX };
    for (const [tag, type] of Object.entries(types)) {
      assert.equal((await request(base, 'GET', `/v2/multi/manifests/${tag}`)).headers['content-type'], type, tag);
    }
  });

  it('refuses manifests referring to blobs or manifests the repository does not hold', async (t) => {
    const { base, root } = await startRegistry(t);
    const m = await imageManifest(base, 'holder', 'x');
    const missing = await putManifest(base, 'elsewhere', 'v1', m);
    assert.equal(missing.status, 400);
    assert.deepEqual(codes(missing), ['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN'], 'config and layer');
    const parsed = JSON.parse(m.toString()) as { config: { digest: string } };
    assert.deepEqual(missing.json<Errors>().errors[0].detail, { digest: parsed.config.digest });
    assert.equal(await fs.stat(path.join(root, 'blobs', 'sha256', sha256(m).slice(7))).then(() => true, () => false), false);

    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc(OCI_MANIFEST, m)] }));
    const child = await putManifest(base, 'holder', 'idx', index, OCI_INDEX);
    assert.equal(child.status, 400);
    assert.deepEqual(codes(child), ['MANIFEST_BLOB_UNKNOWN']);
    assert.equal((await putManifest(base, 'holder', 'v1', m)).status, 201);
    assert.equal((await putManifest(base, 'holder', 'idx', index, OCI_INDEX)).status, 201);
  });

  it('refuses malformed, mistyped, oversized and wrongly addressed manifests', async (t) => {
    const { base } = await startRegistry(t);
    const m = await imageManifest(base, 'strict', 'x');
    const notJson = await putManifest(base, 'strict', 'v1', Buffer.from('{not json'));
    assert.equal(notJson.status, 400);
    assert.deepEqual(codes(notJson), ['MANIFEST_INVALID']);
    const mismatch = await putManifest(base, 'strict', 'v1', m, OCI_INDEX);
    assert.deepEqual(codes(mismatch), ['MANIFEST_INVALID']);
    const schema1 = await putManifest(base, 'strict', 'v1', Buffer.from('{"schemaVersion":1}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    assert.deepEqual(codes(schema1), ['MANIFEST_INVALID']);
    const badDesc = JSON.parse(m.toString()) as { layers: { digest: string }[] };
    badDesc.layers[0].digest = 'md5:abc';
    assert.deepEqual(codes(await putManifest(base, 'strict', 'v1', Buffer.from(JSON.stringify(badDesc)))), ['MANIFEST_INVALID']);

    const byWrongDigest = await putManifest(base, 'strict', sha256('other'), m);
    assert.equal(byWrongDigest.status, 400);
    assert.deepEqual(codes(byWrongDigest), ['DIGEST_INVALID']);
    const byDigest = await putManifest(base, 'strict', sha256(m), m);
    assert.equal(byDigest.status, 201);
    assert.deepEqual((await request(base, 'GET', '/v2/strict/tags/list')).json(), { name: 'strict', tags: [] });

    const huge = Buffer.alloc((4 << 20) + 1, 0x20);
    const tooBig = await putManifest(base, 'strict', 'big', huge);
    assert.equal(tooBig.status, 413);
    assert.match(tooBig.json<Errors>().errors[0].message, /manifest too large: the limit is 4194304 bytes/);
    // without Content-Length (chunked): refused once the limit is passed, the answer still arrives
    const streamed = await request(base, 'PUT', '/v2/strict/manifests/big', {
      body: Readable.from([huge.subarray(0, 3 << 20), huge.subarray(3 << 20), Buffer.alloc(1 << 20, 0x20)]),
      headers: { 'Content-Type': OCI_MANIFEST },
    });
    assert.equal(streamed.status, 413);
    assert.deepEqual(codes(streamed), ['MANIFEST_INVALID']);
  });

  it('tags a manifest pushed by digest with ?tag= and reports them in OCI-Tag', async (t) => {
    const { base } = await startRegistry(t);
    const m = await imageManifest(base, 'multi/tag', 'x');
    const put = await request(base, 'PUT', `/v2/multi/tag/manifests/${sha256(m)}?tag=1.2.3&tag=1.2&tag=latest`, {
      body: m,
      headers: { 'Content-Type': OCI_MANIFEST },
    });
    assert.equal(put.status, 201);
    assert.equal(put.headers['oci-tag'], '1.2.3, 1.2, latest');
    assert.deepEqual((await request(base, 'GET', '/v2/multi/tag/tags/list')).json(), { name: 'multi/tag', tags: ['1.2', '1.2.3', 'latest'] });
  });

  it('deletes tags, and manifests by digest together with their tags', async (t) => {
    const { base } = await startRegistry(t);
    const m = await imageManifest(base, 'del', 'x');
    await putManifest(base, 'del', 'a', m);
    await putManifest(base, 'del', 'b', m);
    await putManifest(base, 'del', 'c', m);
    assert.equal((await request(base, 'DELETE', '/v2/del/manifests/a')).status, 202);
    assert.equal((await request(base, 'GET', '/v2/del/manifests/a')).status, 404);
    assert.equal((await request(base, 'GET', '/v2/del/manifests/b')).status, 200);
    assert.equal((await request(base, 'DELETE', '/v2/del/manifests/a')).status, 404);

    assert.equal((await request(base, 'DELETE', `/v2/del/manifests/${sha256(m)}`)).status, 202);
    for (const ref of ['b', 'c', sha256(m)]) {
      const r = await request(base, 'GET', `/v2/del/manifests/${ref}`);
      assert.equal(r.status, 404, ref);
      assert.deepEqual(codes(r), ['MANIFEST_UNKNOWN']);
    }
    assert.deepEqual((await request(base, 'GET', '/v2/del/tags/list')).json(), { name: 'del', tags: [] });
    const again = await request(base, 'DELETE', `/v2/del/manifests/${sha256(m)}`);
    assert.equal(again.status, 404);
    assert.equal((await request(base, 'DELETE', `/v2/never/manifests/${sha256(m)}`)).status, 404);
  });
});

describe('registry server: discovery', () => {
  it('lists tags in order with n/last pagination and a Link header', async (t) => {
    const { base } = await startRegistry(t);
    const m = await imageManifest(base, 'paged', 'x');
    for (const tag of ['b', 'a', 'C', 'latest', '1.0']) assert.equal((await putManifest(base, 'paged', tag, m)).status, 201);
    const all = await request(base, 'GET', '/v2/paged/tags/list');
    assert.deepEqual(all.json(), { name: 'paged', tags: ['1.0', 'C', 'a', 'b', 'latest'] });
    assert.equal(all.headers.link, undefined);

    const p1 = await request(base, 'GET', '/v2/paged/tags/list?n=2');
    assert.deepEqual(p1.json<{ tags: string[] }>().tags, ['1.0', 'C']);
    assert.equal(p1.headers.link, '</v2/paged/tags/list?n=2&last=C>; rel="next"');
    const next = /^<([^>]+)>/.exec(String(p1.headers.link))![1];
    const p2 = await request(base, 'GET', next);
    assert.deepEqual(p2.json<{ tags: string[] }>().tags, ['a', 'b']);
    const p3 = await request(base, 'GET', /^<([^>]+)>/.exec(String(p2.headers.link))![1]);
    assert.deepEqual(p3.json<{ tags: string[] }>().tags, ['latest']);
    assert.equal(p3.headers.link, undefined);

    const zero = await request(base, 'GET', '/v2/paged/tags/list?n=0');
    assert.deepEqual(zero.json<{ tags: string[] }>().tags, []);
    assert.equal(zero.headers.link, undefined);
    assert.deepEqual((await request(base, 'GET', '/v2/paged/tags/list?last=b')).json<{ tags: string[] }>().tags, ['latest']);
    assert.equal((await request(base, 'GET', '/v2/paged/tags/list?n=abc')).status, 400);
    const unknown = await request(base, 'GET', '/v2/nope/tags/list');
    assert.equal(unknown.status, 404);
    assert.deepEqual(codes(unknown), ['NAME_UNKNOWN']);
  });

  it('lists repositories in the catalog with pagination', async (t) => {
    const { base } = await startRegistry(t);
    for (const name of ['zeta', 'alpha/one', 'alpha', 'alpha/one/deeper', 'mid']) await pushBlob(base, name, `blob of ${name}`);
    const all = await request(base, 'GET', '/v2/_catalog');
    assert.deepEqual(all.json(), { repositories: ['alpha', 'alpha/one', 'alpha/one/deeper', 'mid', 'zeta'] });
    const p1 = await request(base, 'GET', '/v2/_catalog?n=3');
    assert.deepEqual(p1.json(), { repositories: ['alpha', 'alpha/one', 'alpha/one/deeper'] });
    assert.equal(p1.headers.link, '</v2/_catalog?n=3&last=alpha%2Fone%2Fdeeper>; rel="next"');
    const p2 = await request(base, 'GET', /^<([^>]+)>/.exec(String(p1.headers.link))![1]);
    assert.deepEqual(p2.json(), { repositories: ['mid', 'zeta'] });
    assert.equal(p2.headers.link, undefined);
  });

  it('lists referrers of a digest, filtered by artifactType', async (t) => {
    const { base } = await startRegistry(t);
    const subject = await imageManifest(base, 'art', 'subject');
    const subjectDigest = sha256(subject);
    const empty = '{}';
    await pushBlob(base, 'art', empty);
    const sbomLayer = 'sbom contents';
    await pushBlob(base, 'art', sbomLayer);
    const sbom = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example.sbom.v1',
      config: desc('application/vnd.oci.empty.v1+json', empty),
      layers: [desc('application/vnd.example.sbom.v1+json', sbomLayer)],
      subject: desc(OCI_MANIFEST, subject),
      annotations: { 'org.example.kind': 'sbom' },
    }));
    // the subject need not exist yet: referrers may be pushed first
    const put = await putManifest(base, 'art', sha256(sbom), sbom);
    assert.equal(put.status, 201);
    assert.equal(put.headers['oci-subject'], subjectDigest);
    await pushBlob(base, 'art', '{"sig":true}');
    const sig = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: desc('application/vnd.example.signature.config.v1+json', '{"sig":true}'),
      layers: [],
      subject: desc(OCI_MANIFEST, subject),
    }));
    assert.equal((await putManifest(base, 'art', sha256(sig), sig)).status, 201);
    assert.equal((await putManifest(base, 'art', 'v1', subject)).status, 201);

    const all = await request(base, 'GET', `/v2/art/referrers/${subjectDigest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers['content-type'], OCI_INDEX);
    assert.equal(all.headers['oci-filters-applied'], undefined);
    const index = all.json<{ schemaVersion: number; mediaType: string; manifests: Record<string, unknown>[] }>();
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, OCI_INDEX);
    const byDigest = new Map(index.manifests.map((d) => [d.digest, d]));
    assert.deepEqual(byDigest.get(sha256(sbom)), {
      mediaType: OCI_MANIFEST,
      digest: sha256(sbom),
      size: sbom.length,
      artifactType: 'application/vnd.example.sbom.v1',
      annotations: { 'org.example.kind': 'sbom' },
    });
    assert.equal(byDigest.get(sha256(sig))?.artifactType, 'application/vnd.example.signature.config.v1+json', 'config media type');
    assert.equal(index.manifests.length, 2);

    const filtered = await request(base, 'GET', `/v2/art/referrers/${subjectDigest}?artifactType=application/vnd.example.sbom.v1`);
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(filtered.json<{ manifests: { digest: string }[] }>().manifests.map((d) => d.digest), [sha256(sbom)]);

    const none = await request(base, 'GET', `/v2/art/referrers/${sha256('nothing refers to me')}`);
    assert.equal(none.status, 200);
    assert.deepEqual(none.json<{ manifests: unknown[] }>().manifests, []);
    assert.equal((await request(base, 'GET', '/v2/art/referrers/sha256:bad')).status, 400);

    assert.equal((await request(base, 'DELETE', `/v2/art/manifests/${sha256(sbom)}`)).status, 202);
    const after = await request(base, 'GET', `/v2/art/referrers/${subjectDigest}`);
    assert.deepEqual(after.json<{ manifests: { digest: string }[] }>().manifests.map((d) => d.digest), [sha256(sig)]);
  });
});

describe('registry server: names', () => {
  it('refuses invalid repository names and path traversal', async (t) => {
    const { base, root } = await startRegistry(t);
    const digest = sha256('x');
    const bad = [
      '/v2/UPPER/tags/list',
      '/v2/a..b/tags/list',
      '/v2/-lead/tags/list',
      '/v2/a//b/tags/list',
      '/v2/a/../b/tags/list',
      '/v2/../etc/tags/list',
      '/v2/a%2F..%2F..%2Fetc/tags/list',
      `/v2/%2e%2e/blobs/${digest}`,
      '/v2/a/./b/blobs/uploads/',
      `/v2/${'a'.repeat(256)}/tags/list`,
    ];
    for (const p of bad) {
      const r = await request(base, p.endsWith('uploads/') ? 'POST' : 'GET', p);
      assert.equal(r.status, 400, p);
      assert.deepEqual(codes(r), ['NAME_INVALID'], p);
    }
    const badTag = await request(base, 'PUT', '/v2/ok/manifests/..', { body: '{}', headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(badTag.status, 400);
    for (const good of ['a', 'a.b_c__d---e/f0', 'x/y/z']) {
      assert.equal((await request(base, 'POST', `/v2/${good}/blobs/uploads/`)).status, 202, good);
    }
    // nothing was created outside the storage layout
    assert.deepEqual((await fs.readdir(root)).sort(), ['blobs', 'ingest', 'repositories', 'tmp', 'uploads']);
  });
});
