import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKind } from './errors.js';
import {
  familiarName,
  familiarString,
  parseAnyReference,
  parseNormalizedNamed,
  refString,
  repoTagReference,
  withDefaultTag,
} from './reference.js';

const HEX = 'a'.repeat(64);

describe('reference', () => {
  it('normalizes Docker Hub names', () => {
    for (const s of ['busybox', 'library/busybox', 'docker.io/library/busybox', 'index.docker.io/library/busybox', 'docker.io/busybox']) {
      const r = parseNormalizedNamed(s);
      assert.equal(refString(r), 'docker.io/library/busybox', s);
      assert.equal(familiarName(r), 'busybox');
      assert.equal(refString(withDefaultTag(r)), 'docker.io/library/busybox:latest');
    }
    const u = parseNormalizedNamed('user/app:1.0');
    assert.deepEqual(u, { domain: 'docker.io', path: 'user/app', tag: '1.0' });
    assert.equal(familiarString(u), 'user/app:1.0');
  });

  it('recognizes registry hosts with ports and localhost', () => {
    assert.deepEqual(parseNormalizedNamed('localhost:5000/x:1'), { domain: 'localhost:5000', path: 'x', tag: '1' });
    assert.deepEqual(parseNormalizedNamed('localhost/x'), { domain: 'localhost', path: 'x' });
    assert.deepEqual(parseNormalizedNamed('quay.io/a/b/c:v'), { domain: 'quay.io', path: 'a/b/c', tag: 'v' });
    assert.equal(familiarString(parseNormalizedNamed('localhost:5000/x:1')), 'localhost:5000/x:1');
    assert.deepEqual(parseNormalizedNamed('[::1]:5000/x'), { domain: '[::1]:5000', path: 'x' });
  });

  it('parses digests', () => {
    const r = parseNormalizedNamed(`busybox@sha256:${HEX}`);
    assert.deepEqual(r, { domain: 'docker.io', path: 'library/busybox', digest: `sha256:${HEX}` });
    assert.equal(familiarString(r), `busybox@sha256:${HEX}`);
    assert.equal(withDefaultTag(r), r);
    assert.throws(() => parseNormalizedNamed('busybox@sha256:abc'), (e) => isKind(e, 'InvalidArgument'));
  });

  it('rejects invalid names with Docker messages', () => {
    assert.throws(() => parseNormalizedNamed('Busybox'), { message: 'invalid reference format: repository name (library/Busybox) must be lowercase' });
    assert.throws(() => parseNormalizedNamed('busy box'), { message: 'invalid reference format' });
    assert.throws(() => parseNormalizedNamed(''), (e) => isKind(e, 'InvalidArgument'));
    assert.throws(() => parseNormalizedNamed('a:b:c'), { message: 'invalid reference format' });
    assert.throws(() => parseNormalizedNamed(HEX), /cannot specify 64-byte hexadecimal strings/);
    assert.throws(() => parseNormalizedNamed('x'.repeat(250)), /must not be more than 255 characters/);
  });

  it('tells ids from names', () => {
    assert.deepEqual(parseAnyReference(HEX), { kind: 'id', id: `sha256:${HEX}` });
    assert.deepEqual(parseAnyReference(`sha256:${HEX}`), { kind: 'id', id: `sha256:${HEX}` });
    assert.equal(parseAnyReference('abc').kind, 'named');
    assert.equal(parseAnyReference('sha256:abc').kind, 'named');
  });

  it('validates repo and tag for docker tag', () => {
    assert.equal(refString(repoTagReference('foo')), 'docker.io/library/foo:latest');
    assert.equal(refString(repoTagReference('foo', 'v1.2_x-y')), 'docker.io/library/foo:v1.2_x-y');
    assert.throws(() => repoTagReference('foo', '-bad'), { message: 'invalid tag format' });
    assert.throws(() => repoTagReference('foo', 'x'.repeat(129)), { message: 'invalid tag format' });
    assert.throws(() => repoTagReference(`foo@sha256:${HEX}`), { message: 'refusing to create a tag with a digest reference' });
  });
});
