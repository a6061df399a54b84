import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from './errors.js';
import { paginate, parseContentRange, parseRange } from './respond.js';

describe('parseRange', () => {
  it('reads single byte ranges over a blob of the given size', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=95-200', 100), { start: 95, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-1000', 100), { start: 0, end: 99 });
  });

  it('says unsatisfiable past the end, and ignores what it cannot use', () => {
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-0', 0), 'unsatisfiable');
    assert.equal(parseRange(undefined, 100), undefined);
    assert.equal(parseRange('bytes=5-1', 100), undefined);
    assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
    assert.equal(parseRange('items=0-1', 100), undefined);
    assert.equal(parseRange('bytes=-', 100), undefined);
  });
});

describe('parseContentRange', () => {
  it('reads the spec form and tolerates a bytes prefix and a total', () => {
    assert.deepEqual(parseContentRange('0-999'), { start: 0, end: 999 });
    assert.deepEqual(parseContentRange('bytes 1000-1999/*'), { start: 1000, end: 1999 });
    assert.deepEqual(parseContentRange('bytes=5-5/10'), { start: 5, end: 5 });
    assert.equal(parseContentRange(undefined), undefined);
  });

  it('refuses malformed or backwards ranges with 416', () => {
    for (const bad of ['abc', '5-1', '-5', '0-']) {
      assert.throws(() => parseContentRange(bad), (e) => e instanceof RegistryError && e.status === 416 && e.code === 'BLOB_UPLOAD_INVALID', bad);
    }
  });
});

describe('paginate', () => {
  const items = ['a', 'b', 'c', 'd', 'e'];
  const q = (s: string) => new URLSearchParams(s);

  it('returns everything without n, or up to a cap with a next page', () => {
    assert.deepEqual(paginate(items, q('')), { page: items });
    const capped = paginate(items, q(''), 2);
    assert.deepEqual(capped.page, ['a', 'b']);
    assert.equal(capped.next?.toString(), 'n=2&last=b');
  });

  it('pages with n and last, with no next page at the end or for n=0', () => {
    const p1 = paginate(items, q('n=2'));
    assert.deepEqual(p1.page, ['a', 'b']);
    assert.equal(p1.next?.toString(), 'n=2&last=b');
    const p3 = paginate(items, q('n=2&last=d'));
    assert.deepEqual(p3, { page: ['e'] });
    assert.deepEqual(paginate(items, q('n=0')), { page: [] });
    assert.deepEqual(paginate(items, q('last=c')), { page: ['d', 'e'] });
    assert.deepEqual(paginate(items, q('last=zzz')), { page: [] });
    assert.equal(paginate(items, q('n=5000'), 3).page.length, 3, 'the cap bounds n');
  });

  it('refuses an n that is not a number', () => {
    assert.throws(() => paginate(items, q('n=-1')), (e) => e instanceof RegistryError && e.status === 400);
    assert.throws(() => paginate(items, q('n=two')), (e) => e instanceof RegistryError && e.status === 400);
  });
});
