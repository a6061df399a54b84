import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isKind } from '../../core/errors.js';
import { LogRotator, listLogFiles, parseLogOptions, parseSize, planRotation } from './rotate.js';

test('parseSize: Docker size syntax', () => {
  const table: [string, number][] = [
    ['10m', 10 * 1024 * 1024], ['1k', 1024], ['1g', 1024 ** 3], ['512', 512], ['1.5k', 1536], ['10MB', 10485760],
    ['10MiB', 10485760], ['1 kb', 1024], ['2T', 2 * 1024 ** 4], ['0', 0],
  ];
  for (const [s, n] of table) assert.equal(parseSize(s), n, s);
  for (const bad of ['', 'm', '10x', '-1', '1.2.3.m', '10 m b']) {
    assert.throws(() => parseSize(bad), (e) => isKind(e, 'InvalidArgument') && (e as Error).message === `invalid size: '${bad}'`, bad);
  }
});

test('parseLogOptions', () => {
  assert.deepEqual(parseLogOptions(undefined), { maxSize: -1, maxFile: 1 });
  assert.deepEqual(parseLogOptions({ 'max-size': '10m', 'max-file': '3' }), { maxSize: 10485760, maxFile: 3 });
  assert.throws(() => parseLogOptions({ 'max-file': '0', 'max-size': '1m' }), /max-file cannot be less than 1/);
  assert.throws(() => parseLogOptions({ bogus: '1' }), /unknown log opt 'bogus' for json-file log driver/);
});

test('planRotation', () => {
  assert.deepEqual(planRotation('/l/c.log', 3), { deletes: ['/l/c.log.2'], renames: [['/l/c.log.1', '/l/c.log.2'], ['/l/c.log', '/l/c.log.1']] });
  assert.deepEqual(planRotation('/l/c.log', 1), { deletes: ['/l/c.log'], renames: [] });
});

test('LogRotator shifts files and drops the oldest', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-rot-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'ctr.log');
  const r = new LogRotator({ path: log, maxSize: 10, maxFile: 3 });
  assert.equal(r.shouldRotate(9), false);
  assert.equal(r.shouldRotate(10), true);
  assert.equal(await r.rotateIfNeeded(), false); // no file yet
  assert.deepEqual(await listLogFiles(log, 3), []);
  for (const gen of ['a', 'b', 'c', 'd']) {
    await writeFile(log, gen.repeat(10));
    assert.equal(await r.rotateIfNeeded(), true);
  }
  await writeFile(log, 'e');
  assert.equal(await r.rotateIfNeeded(), false);
  assert.deepEqual((await readdir(dir)).sort(), ['ctr.log', 'ctr.log.1', 'ctr.log.2']);
  assert.equal(await readFile(`${log}.1`, 'utf8'), 'd'.repeat(10));
  assert.equal(await readFile(`${log}.2`, 'utf8'), 'c'.repeat(10));
  assert.deepEqual(await listLogFiles(log, 3), [`${log}.2`, `${log}.1`, log]);
  assert.deepEqual(await listLogFiles(log, 2), [`${log}.1`, log]);

  const one = new LogRotator({ path: log, maxSize: 1, maxFile: 1 });
  await one.rotate();
  assert.deepEqual(await listLogFiles(log, 1), []);
  assert.equal(new LogRotator({ path: log, maxSize: -1, maxFile: 1 }).shouldRotate(1e12), false);
});
