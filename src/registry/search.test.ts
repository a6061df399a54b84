import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterResults, splitSearchTerm } from './search.js';

test('the index of a search term, as dockerd splits it', () => {
  assert.deepEqual(splitSearchTerm('busybox'), { index: 'index.docker.io', remote: 'busybox', official: true });
  assert.deepEqual(splitSearchTerm('library/busybox'), { index: 'index.docker.io', remote: 'busybox', official: true });
  assert.deepEqual(splitSearchTerm('someone/tool'), { index: 'index.docker.io', remote: 'someone/tool', official: true });
  assert.deepEqual(splitSearchTerm('localhost/x'), { index: 'localhost', remote: 'x', official: false });
  assert.deepEqual(splitSearchTerm('127.0.0.1:5000/a/b'), { index: '127.0.0.1:5000', remote: 'a/b', official: false });
  assert.throws(() => splitSearchTerm('https://x/y'), /should not have a scheme/);
});

test('search filters as dockerd applies them', () => {
  const r = (name: string, stars: number, official: boolean) => ({ name, star_count: stars, is_official: official, is_automated: true, description: '' });
  const all = [r('a', 1, true), r('b', 10, false), r('c', 5, false)];
  assert.deepEqual(filterResults(all, {}).map((x) => x.name), ['a', 'b', 'c']);
  assert.equal(filterResults(all, {}).every((x) => x.is_automated === false), true);
  assert.deepEqual(filterResults(all, { stars: ['3', '5'] }).map((x) => x.name), ['b', 'c']);
  assert.deepEqual(filterResults(all, { 'is-official': ['true'] }).map((x) => x.name), ['a']);
  assert.deepEqual(filterResults(all, { 'is-official': ['false'] }).map((x) => x.name), ['b', 'c']);
  assert.deepEqual(filterResults(all, { 'is-automated': ['true'] }), []);
  assert.throws(() => filterResults(all, { stars: ['many'] }), /invalid filter 'stars=many'/);
  assert.throws(() => filterResults(all, { colour: ['x'] }), /invalid filter 'colour'/);
});
