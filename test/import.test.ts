/**
 * `docker import` of hostile tars (issue 17): 30,000 small files, and one path 1,200 directories deep
 * (which took two minutes of CPU when every entry re-checked every prefix of its path). Both unpack
 * completely; timings are in bench/import.ts, the test only bounds the time generously.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TestDaemon } from './harness.js';
import { writeDeepTar, writeManyFilesTar } from './importtars.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.create();
});

after(async () => {
  await d?.stop();
});

async function upperDir(image: string): Promise<string> {
  return d.dockerOk(['image', 'inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', image]);
}

test('import of a tar with 30,000 small files', { timeout: 300_000 }, async () => {
  const tarFile = path.join(d.dir, 'many.tar');
  await writeManyFilesTar(tarFile, 300, 100);
  await d.dockerOk(['import', tarFile, 'many:1'], { timeout: 290_000 });
  const upper = await upperDir('many:1');
  const dirs = await fsp.readdir(upper);
  assert.equal(dirs.length, 300);
  let files = 0;
  for (const dir of dirs) files += (await fsp.readdir(path.join(upper, dir))).length;
  assert.equal(files, 30_000);
  assert.equal(await fsp.readFile(path.join(upper, 'd299', 'f99'), 'utf8'), 'file d299/f99\n');
  const st = await fsp.stat(path.join(upper, 'd7', 'f3'));
  assert.equal(st.mode & 0o7777, 0o644);
  assert.equal(st.mtimeMs, 1700000000000);
  await d.dockerOk(['rmi', 'many:1']);
});

test('import of a tar whose one path is 1,200 directories deep', { timeout: 300_000 }, async () => {
  const tarFile = path.join(d.dir, 'deep.tar');
  await writeDeepTar(tarFile, 1200);
  await d.dockerOk(['import', tarFile, 'deep:1'], { timeout: 290_000 });
  const upper = await upperDir('deep:1');
  const bottom = path.join(upper, ...Array<string>(1200).fill('d'), 'deep');
  assert.equal(await fsp.readFile(bottom, 'utf8'), 'at the bottom\n');
  assert.deepEqual(await fsp.readdir(path.dirname(bottom)), ['deep']);
  await d.dockerOk(['rmi', 'deep:1']);
});
