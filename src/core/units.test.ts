import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ramInBytes } from './units.js';

test('ramInBytes: go-units RAMInBytes', () => {
  const table: [string, number][] = [['512', 512], ['64m', 64 * 2 ** 20], ['64M', 64 * 2 ** 20], ['1.5k', 1536], ['10MiB', 10 * 2 ** 20], ['1 GB', 2 ** 30], ['2t', 2 * 2 ** 40], ['0', 0]];
  for (const [s, n] of table) assert.equal(ramInBytes(s), n, s);
  for (const bad of ['', 'm', '-1', '1.2.3', '10x', '1 2']) assert.throws(() => ramInBytes(bad), { message: `invalid size: '${bad}'` }, bad);
});
