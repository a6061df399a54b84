import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireLock } from './lock.js';

test('the data root lock: one holder, the loser changes nothing, the name is free again after release', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-lock-'));
  try {
    const file = path.join(dir, 'berthd.lock');
    const a = await acquireLock(file, dir);
    const before = await fsp.readFile(file, 'utf8');
    // the same directory through a symlink is the same data root
    await fsp.symlink(dir, `${dir}-link`);
    await assert.rejects(acquireLock(path.join(`${dir}-link`, 'berthd.lock'), `${dir}-link`), /another berthd \(pid \d+\) is using the data root/);
    assert.equal(await fsp.readFile(file, 'utf8'), before);
    await a.release();
    const b = await acquireLock(file, dir);
    assert.equal(b.id, a.id, 'the daemon id survives a restart');
    await b.release();
  } finally {
    await fsp.rm(`${dir}-link`, { force: true });
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
