import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { parseSignal, signalName } from './signal.js';

test('parseSignal', () => {
  const table: [string | number, number][] = [
    ['SIGTERM', 15], ['TERM', 15], ['term', 15], ['15', 15], [15, 15], ['HUP', 1], ['SIGKILL', 9], ['USR1', 10],
    ['SIGUSR2', 12], ['WINCH', 28], ['IOT', 6], ['RTMIN', 34], ['SIGRTMIN+3', 37], ['RTMAX-1', 63], ['64', 64],
  ];
  for (const [input, want] of table) assert.equal(parseSignal(input), want, String(input));
  for (const bad of ['FOO', 'SIG', '0', '65', '-1', '', 'RTMIN+40', 0, 1.5]) {
    assert.throws(() => parseSignal(bad), (e) => isKind(e, 'InvalidArgument') && (e as Error).message === `invalid signal: ${bad}`, String(bad));
  }
});

test('signalName', () => {
  assert.equal(signalName(15), 'SIGTERM');
  assert.equal(signalName(6), 'SIGABRT');
  assert.equal(signalName(34), 'SIGRTMIN');
  assert.equal(signalName(36), 'SIGRTMIN+2');
  assert.equal(signalName(63), 'SIGRTMAX-1');
  for (let n = 1; n <= 64; n++) if (n !== 32 && n !== 33) assert.equal(parseSignal(signalName(n)), n);
  assert.throws(() => signalName(99));
});
