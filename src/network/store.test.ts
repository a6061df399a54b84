import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NetworkStore } from './store.js';
import type { NetworkRecord } from './record.js';

const rec = (id: string, n: number): NetworkRecord => ({
  id, name: `net${n}`, created: '2026-01-01T00:00:00Z', driver: 'bridge', predefined: false, internal: false, attachable: false,
  enableIPv6: false, options: {}, labels: { n: String(n) }, ipamDriver: 'default', ipamOptions: {}, auxAddresses: {}, mtu: 1500, endpoints: {},
});

test('saves of one record in a burst are coalesced and the file ends with the last state; a removal waits for writes', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-netstore-'));
  try {
    const store = await NetworkStore.open(dir);
    const r = rec('a'.repeat(64), 0);
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) {
      r.labels = { n: String(i) };
      saves.push(store.save(r));
    }
    await Promise.all(saves);
    assert.ok(new Set(saves).size < saves.length, 'saves asked for during a write share the next one');
    const onDisk = JSON.parse(await readFile(path.join(dir, `${r.id}.json`), 'utf8')) as NetworkRecord;
    assert.equal(onDisk.labels.n, '20');
    assert.equal((await NetworkStore.open(dir)).get(r.id)?.labels.n, '20');

    // a save still being written when the record is removed does not bring the file back
    void store.save(r);
    await store.remove(r.id);
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.json')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
