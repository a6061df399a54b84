import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError } from './errors.js';
import { checkDigest, checkName, isRepositoryName, isTag, parseReference } from './names.js';
import { parseAddr } from './registryserver.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof RegistryError ? e.code : 'other';
  }
  return 'none';
};

describe('registry names', () => {
  it('accepts the spec grammar for repository names and nothing else', () => {
    for (const ok of ['a', 'library/ubuntu', 'a.b', 'a_b', 'a__b', 'a---b', 'x0/y1/z2', 'a'.repeat(255)]) assert.equal(isRepositoryName(ok), true, ok);
    for (const bad of ['', 'A', 'a/', '/a', 'a//b', '.a', 'a.', 'a..b', 'a___b', 'a/../b', '..', 'a/./b', 'a b', 'a%2fb', 'a'.repeat(256), '-a', 'a:b']) {
      assert.equal(isRepositoryName(bad), false, bad);
    }
    assert.equal(code(() => checkName('Bad')), 'NAME_INVALID');
  });

  it('accepts tags of the spec grammar', () => {
    for (const ok of ['latest', 'v1.0', '_x', 'A-b_c.d', 'a'.repeat(128)]) assert.equal(isTag(ok), true, ok);
    for (const bad of ['', '.hidden', '-x', '..', 'a/b', 'a'.repeat(129), 'a:b']) assert.equal(isTag(bad), false, bad);
  });

  it('tells digests from tags and supports sha256 only', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseReference(d), { kind: 'digest', digest: d });
    assert.deepEqual(parseReference('v1'), { kind: 'tag', tag: 'v1' });
    assert.equal(code(() => parseReference('sha256:short')), 'DIGEST_INVALID');
    assert.equal(code(() => parseReference('..')), 'MANIFEST_INVALID');
    assert.throws(() => checkDigest(`sha512:${'a'.repeat(128)}`), /unsupported digest algorithm/);
    assert.throws(() => checkDigest('sha256:abc'), /invalid digest/);
    assert.equal(code(() => checkDigest(`SHA256:${'a'.repeat(64)}`)), 'DIGEST_INVALID');
    assert.equal(checkDigest(d), d);
  });
});

describe('parseAddr', () => {
  it('splits host and port, with IPv6 brackets and an empty host for all interfaces', () => {
    assert.deepEqual(parseAddr('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
    assert.deepEqual(parseAddr('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseAddr(':5000'), { host: undefined, port: 5000 });
    assert.deepEqual(parseAddr('localhost:80'), { host: 'localhost', port: 80 });
    for (const bad of ['5000', '127.0.0.1', 'host:99999', 'host:port']) assert.throws(() => parseAddr(bad), /invalid listen address/, bad);
  });
});
