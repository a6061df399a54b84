import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCreateBody } from './validate.js';

test('wrong types are rejected naming the field', () => {
  assert.throws(() => validateCreateBody({ Image: 'x', Cmd: 5 }), /cannot unmarshal number into Go struct field ContainerConfigWrapper.Cmd/);
  assert.throws(() => validateCreateBody({ Image: 'x', Tty: 'yes' }), /ContainerConfigWrapper\.Tty of type bool/);
  assert.throws(() => validateCreateBody({ Image: 'x', HostConfig: { Memory: 'lots' } }), /HostConfig\.Memory of type int64/);
  assert.throws(() => validateCreateBody({ Image: 'x', Env: ['A=1', 2] }), /Env/);
  assert.throws(() => validateCreateBody([1]), /JSON object/);
});

test('valid bodies pass; string Cmd becomes a list; unknown fields ignored', () => {
  const b = validateCreateBody({ Image: 'busybox', Cmd: 'sh', Entrypoint: null, Whatever: 1, HostConfig: { NetworkMode: 'none' } });
  assert.deepEqual(b.Cmd, ['sh']);
  assert.equal(b.Entrypoint, null);
});
