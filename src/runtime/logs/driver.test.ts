import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonLogConfig, logsReadable, mergeLogConfig, rotationOf } from './driver.js';

const dflt = { Type: 'json-file', Config: {} };

test('an empty LogConfig takes the daemon driver and its options', () => {
  assert.deepEqual(mergeLogConfig(undefined, dflt), { Type: 'json-file', Config: {} });
  assert.deepEqual(mergeLogConfig({ Type: '', Config: {} }, { Type: 'json-file', Config: { 'max-size': '10m' } }), { Type: 'json-file', Config: { 'max-size': '10m' } });
  assert.deepEqual(mergeLogConfig(undefined, { Type: 'none', Config: {} }), { Type: 'none', Config: {} });
});

test('a container with the daemon driver keeps its own options and inherits the rest', () => {
  const daemon = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } };
  assert.deepEqual(mergeLogConfig({ Type: 'json-file', Config: { 'max-size': '1m' } }, daemon), { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '3' } });
  // another driver inherits nothing
  assert.deepEqual(mergeLogConfig({ Type: 'none' }, daemon), { Type: 'none', Config: {} });
});

test('unknown drivers and options are refused with dockerd texts', () => {
  assert.throws(() => mergeLogConfig({ Type: 'splunkish' }, dflt), { kind: 'InvalidArgument', message: "logger: no log driver named 'splunkish' is registered" });
  assert.throws(() => mergeLogConfig({ Type: 'json-file', Config: { colour: 'red' } }, dflt), { message: "unknown log opt 'colour' for json-file log driver" });
  assert.throws(() => mergeLogConfig({ Type: 'local', Config: { labels: 'a' } }, dflt), { message: "unknown log opt 'labels' for log driver local" });
  assert.throws(() => mergeLogConfig({ Type: 'json-file', Config: { mode: 'fast' } }, dflt), { message: 'logger: logging mode not supported: fast' });
  assert.throws(() => mergeLogConfig({ Type: 'json-file', Config: { 'max-buffer-size': '4m' } }, dflt), { message: "logger: max-buffer-size option is only supported with 'mode=non-blocking'" });
  assert.doesNotThrow(() => mergeLogConfig({ Type: 'json-file', Config: { mode: 'non-blocking', 'max-buffer-size': '4m' } }, dflt));
});

test('daemon.json log-driver and log-opts are checked as dockerd does at start', () => {
  assert.deepEqual(daemonLogConfig(undefined, undefined), { Type: 'json-file', Config: {} });
  assert.deepEqual(daemonLogConfig('local', { 'max-size': '5m' }), { Type: 'local', Config: { 'max-size': '5m' } });
  assert.throws(() => daemonLogConfig('nope', {}), { message: "failed to set log opts: logger: no log driver named 'nope' is registered" });
  assert.throws(() => daemonLogConfig(3, {}), { kind: 'InvalidArgument' });
});

test('none keeps nothing to read; rotation follows the container options', () => {
  assert.equal(logsReadable({ Type: 'none' }), false);
  assert.equal(logsReadable({ Type: 'json-file' }), true);
  assert.equal(logsReadable(undefined), true);
  assert.deepEqual(rotationOf({ Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '2' } }), { maxSize: 1024, maxFile: 2 });
  assert.deepEqual(rotationOf({ Type: 'json-file', Config: {} }), { maxSize: -1, maxFile: 1 });
  assert.deepEqual(rotationOf({ Type: 'local', Config: {} }), { maxSize: 20 * 1024 * 1024, maxFile: 5 });
  assert.deepEqual(rotationOf({ Type: 'none', Config: { 'max-size': '1k' } }), { maxSize: -1, maxFile: 1 });
});
