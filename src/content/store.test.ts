import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { LocalContentStore, parseDigest, sha256Of } from './index.js';

describe('LocalContentStore', () => {
  let dir: string;
  let store: LocalContentStore;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-content-'));
    store = await LocalContentStore.open(dir);
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes, reads and lists blobs', async () => {
    const res = await store.writeBuffer('hello');
    assert.equal(res.digest, sha256Of('hello'));
    assert.equal(res.size, 5);
    assert.equal(await store.has(res.digest), true);
    assert.equal(await store.size(res.digest), 5);
    assert.equal((await store.readBuffer(res.digest)).toString(), 'hello');
    const chunks: Buffer[] = [];
    for await (const c of await store.readStream(res.digest)) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'hello');
    assert.deepEqual(await store.list(), [{ digest: res.digest, size: 5 }]);
    const st = await fs.stat(path.join(dir, 'blobs', 'sha256', res.digest.slice(7)));
    assert.equal(st.size, 5);
  });

  it('streams and verifies the expected digest', async () => {
    const data = Buffer.alloc(1 << 20, 7);
    const res = await store.write(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), sha256Of(data));
    assert.equal(res.size, data.length);
    await assert.rejects(store.writeBuffer('other', sha256Of('not other')), (e) => isKind(e, 'InvalidArgument'));
    assert.equal(await store.has(sha256Of('other')), false);
    assert.deepEqual(await fs.readdir(path.join(dir, 'ingest')), []);
  });

  it('removes the temp file when the source stream fails', async () => {
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('boom');
    }
    await assert.rejects(store.write(failing()), /boom/);
    assert.deepEqual(await fs.readdir(path.join(dir, 'ingest')), []);
    assert.equal(await store.has(sha256Of('partial')), false);
  });

  it('deletes idempotently and reports missing blobs as NotFound', async () => {
    const { digest } = await store.writeBuffer('bye');
    await store.delete(digest);
    await store.delete(digest);
    assert.equal(await store.has(digest), false);
    await assert.rejects(store.size(digest), (e) => isKind(e, 'NotFound'));
    await assert.rejects(store.readBuffer(digest), (e) => isKind(e, 'NotFound'));
    await assert.rejects(store.readStream(digest), (e) => isKind(e, 'NotFound'));
  });

  it('rejects malformed digests (no path traversal)', async () => {
    for (const bad of ['sha256:../../etc/passwd', 'sha256:ABC', 'md5:00', `sha256:${'a'.repeat(63)}/`, '']) {
      assert.throws(() => parseDigest(bad), (e) => isKind(e, 'InvalidArgument'));
      await assert.rejects(store.has(bad), (e) => isKind(e, 'InvalidArgument'));
    }
  });
});
