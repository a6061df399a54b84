import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conflict, internal, notFound } from '../core/errors.js';
import { httpStatus } from './status.js';

test('kinds map to Docker\'s statuses', () => {
  assert.equal(httpStatus(notFound('no such container: x')), 404);
  assert.equal(httpStatus(conflict('in use')), 409);
  assert.equal(httpStatus(internal('boom')), 500);
});

test('a wrapped error keeps its kind through `cause`', () => {
  assert.equal(httpStatus(new Error('while removing', { cause: notFound('no such volume: v') })), 404);
  assert.equal(httpStatus(new Error('a', { cause: new Error('b', { cause: conflict('c') }) })), 409);
});

test('an error of no kind is a 500', () => {
  assert.equal(httpStatus(new Error('plain')), 500);
  assert.equal(httpStatus('a string'), 500);
  assert.equal(httpStatus(new RangeError('Maximum call stack size exceeded')), 500);
});
