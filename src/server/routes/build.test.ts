import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBuildQuery } from './build.js';

const q = (s: string) => parseBuildQuery(new URLSearchParams(s), undefined);

test('POST /build booleans in Go\'s and Python\'s spellings, as httputils.BoolValue reads them', () => {
  for (const v of ['1', 'true', 'True', 'TRUE', 't', 'yes', 'anything']) assert.equal(q(`q=${v}`).quiet, true, v);
  for (const v of ['0', 'false', 'False', 'FALSE', 'no', 'No', 'none', '']) assert.equal(q(`q=${v}`).quiet, false, v);
  assert.equal(q('').rm, true);
  assert.equal(q('rm=False').rm, false);
});

test('POST /build JSON parameters: null build args, shapes checked with dockerd\'s wording', () => {
  assert.deepEqual(q(`buildargs=${encodeURIComponent('{"A":null,"B":"b"}')}`).buildArgs, { A: null, B: 'b' });
  assert.deepEqual(q('buildargs=null').buildArgs, {});
  assert.deepEqual(q(`t=a&t=b:2&labels=${encodeURIComponent('{"k":"v"}')}`), { ...q(''), tags: ['a', 'b:2'], labels: { k: 'v' } });
  assert.throws(() => q('buildargs=notjson'), /^(\w+: )?error reading build args: /);
  assert.throws(() => q(`labels=${encodeURIComponent('["a"]')}`), /error reading labels: /);
  assert.throws(() => q(`labels=${encodeURIComponent('{"a":1}')}`), /error reading labels: /);
  assert.throws(() => q(`buildargs=${encodeURIComponent('{"a":1}')}`), /error reading build args: /);
  assert.throws(() => q(`cachefrom=${encodeURIComponent('{"a":"b"}')}`), /error reading cache-from: /);
  assert.throws(() => q('squash=1'), /squash is only supported with experimental mode/);
});
