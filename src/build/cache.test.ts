import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildCache } from './cache.js';

const v = (image: string) => ({ image, parent: '', description: 'd', size: 1 });

test('a cache entry serves lookups at once and reaches cache.json only when committed', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-cache-'));
  try {
    const c = await BuildCache.open(dir);
    c.add('k1', v('sha256:a'));
    c.add('k2', v('sha256:b'));
    assert.equal((await c.lookup('k1', () => true))?.image, 'sha256:a');
    assert.deepEqual(c.uncommitted().sort(), ['k1', 'k2']);
    // a daemon restarted now (killed before the build synced) knows neither
    assert.equal((await BuildCache.open(dir)).list().length, 0);
    await c.commit(['k1']);
    const reopened = await BuildCache.open(dir);
    assert.deepEqual(reopened.list().map((e) => e.key), ['k1']);
    assert.deepEqual(c.uncommitted(), ['k2']);
    // `accept` refuses a hit without dropping the entry
    assert.equal(await c.lookup('k1', () => true, () => false), undefined);
    assert.equal((await c.lookup('k1', () => true))?.image, 'sha256:a');
    // an entry whose image is gone is dropped
    assert.equal(await c.lookup('k1', () => false), undefined);
    assert.equal(c.list().some((e) => e.key === 'k1'), false);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
