import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, BACKOFF_MAX_MS, checkRestartPolicy, RestartTimers, wantsRestart } from './restart.js';

test('policy check: Docker texts for bad policies, AutoRemove conflicts', () => {
  assert.equal(checkRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 3 }), undefined);
  assert.equal(checkRestartPolicy({ Name: '', MaximumRetryCount: 5 }), undefined);
  assert.equal(checkRestartPolicy(undefined), undefined);
  assert.equal(checkRestartPolicy({ Name: 'no' }, true), undefined);
  assert.match(checkRestartPolicy({ Name: 'always', MaximumRetryCount: 2 })!.message, /maximum retry count can only be used with 'on-failure'$/);
  assert.match(checkRestartPolicy({ Name: 'always', MaximumRetryCount: -1 })!.message, /only be used with 'on-failure' and cannot be negative/);
  assert.match(checkRestartPolicy({ Name: 'on-failure', MaximumRetryCount: -1 })!.message, /cannot be negative/);
  const e = checkRestartPolicy({ Name: 'sometimes' as never });
  assert.equal(e?.kind, 'InvalidArgument');
  assert.match(e!.message, /unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'/);
  assert.match(checkRestartPolicy({ Name: 'always' }, true)!.message, /can't create 'AutoRemove' container with restart policy/);
});

test('which exits restart', () => {
  const f = (exitCode: number, manuallyStopped = false, restartCount = 0) => ({ exitCode, manuallyStopped, restartCount });
  assert.equal(wantsRestart({ Name: 'no' }, f(1)), false);
  assert.equal(wantsRestart(undefined, f(1)), false);
  assert.equal(wantsRestart({ Name: 'always' }, f(0, true)), true);
  assert.equal(wantsRestart({ Name: 'unless-stopped' }, f(0)), true);
  assert.equal(wantsRestart({ Name: 'unless-stopped' }, f(0, true)), false);
  assert.equal(wantsRestart({ Name: 'on-failure' }, f(0)), false);
  assert.equal(wantsRestart({ Name: 'on-failure' }, f(3, false, 100)), true, 'no maximum');
  assert.equal(wantsRestart({ Name: 'on-failure', MaximumRetryCount: 3 }, f(3, false, 2)), true);
  assert.equal(wantsRestart({ Name: 'on-failure', MaximumRetryCount: 3 }, f(3, false, 3)), false);
});

test('backoff doubles from 100 ms up to a minute, and resets after a 10 s run', () => {
  const b = new Backoff();
  const seq = Array.from({ length: 12 }, () => b.next(50));
  assert.deepEqual(seq.slice(0, 5), [100, 200, 400, 800, 1600]);
  assert.equal(seq.at(-1), BACKOFF_MAX_MS);
  assert.ok(seq.every((d) => d <= BACKOFF_MAX_MS));
  assert.equal(b.next(10_000), 100);
  assert.equal(b.next(9_999), 200);
});

test('RestartTimers: one pending restart per container, cancelled or replaced', async () => {
  const t = new RestartTimers();
  const ran: string[] = [];
  t.schedule('a', 5, () => ran.push('a1'));
  t.schedule('a', 5, () => ran.push('a2')); // replaces a1
  t.schedule('b', 5, () => ran.push('b'));
  t.schedule('c', 5, () => ran.push('c'));
  assert.equal(t.cancel('b'), true);
  assert.equal(t.cancel('b'), false);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(ran.sort(), ['a2', 'c']);
  assert.equal(t.cancel('a'), false); // it ran: nothing pending
  t.schedule('d', 5, () => ran.push('d'));
  t.clear();
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(ran.sort(), ['a2', 'c']);
});
