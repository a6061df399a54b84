import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../core/errors.js';
import { FakeRuntime } from './fake.js';
import { RuntimeSet } from './set.js';

const opts = (id: string) => ({ id, bundle: `/b/${id}`, tty: false, stdin: false, logPath: `/l/${id}`, leaveStdinOpen: false });

test('each container goes to the runtime its record names; legacy records to runc', async () => {
  const runc = new FakeRuntime();
  const crun = new FakeRuntime();
  const records: Record<string, string> = { a: 'runc', b: 'crun', old: '' };
  const set = new RuntimeSet(new Map([['runc', { runtime: runc }], ['crun', { runtime: crun }]]), 'crun', (id) => records[id]);
  for (const id of ['a', 'b', 'old']) {
    await set.create(opts(id));
    await set.start(id);
  }
  assert.deepEqual(runc.calls, ['create a', 'start a', 'create old', 'start old']);
  assert.deepEqual(crun.calls, ['create b', 'start b']);
  await set.kill('b', 15);
  assert.deepEqual(crun.calls.at(-1), 'kill b 15');
  assert.deepEqual([...(await set.list()).keys()].sort(), ['a', 'b', 'old']);
  // a leftover without a record is found where its state is
  delete records.b;
  await set.kill('b', 9, true);
  assert.equal(crun.calls.at(-1), 'kill b 9 all');
  await set.delete('b');
  assert.equal(await crun.state('b'), undefined);
});

test('pick: the default for none, Docker\'s error for an unknown name', () => {
  const set = new RuntimeSet(new Map([['runc', { runtime: new FakeRuntime() }], ['crun', { runtime: new FakeRuntime() }]]), 'crun', () => undefined);
  assert.equal(set.pick(undefined), 'crun');
  assert.equal(set.pick(''), 'crun');
  assert.equal(set.pick('runc'), 'runc');
  assert.throws(() => set.pick('nope'), (e: unknown) => isKind(e, 'InvalidArgument') && (e as Error).message === 'Unknown runtime specified nope');
});

test('pick: a container needing what the default refuses gets runc, unless it named a runtime', () => {
  const crunRefuses = (n: { sharedPropagation?: boolean }) => (n.sharedPropagation ? 'no shared propagation' : undefined);
  const set = new RuntimeSet(new Map([
    ['crun', { runtime: new FakeRuntime(), refuses: crunRefuses }],
    ['other', { runtime: new FakeRuntime(), refuses: crunRefuses }],
    ['runc', { runtime: new FakeRuntime() }],
  ]), 'crun', () => undefined);
  assert.equal(set.pick(undefined, {}), 'crun');
  assert.equal(set.pick(undefined, { sharedPropagation: true }), 'runc');
  assert.equal(set.pick('crun', { sharedPropagation: true }), 'crun');
  // nothing can: the default, whose refusal comes at start
  const alone = new RuntimeSet(new Map([['crun', { runtime: new FakeRuntime(), refuses: crunRefuses }]]), 'crun', () => undefined);
  assert.equal(alone.pick(undefined, { sharedPropagation: true }), 'crun');
});

test('exits are shared: one exit dir for all runtimes', async () => {
  const runc = new FakeRuntime();
  const set = new RuntimeSet(new Map([['runc', { runtime: runc }]]), 'runc', () => 'runc');
  const seen: string[] = [];
  set.watchExits((id) => seen.push(id));
  await set.create(opts('x'));
  await set.start('x');
  runc.exit('x', 3);
  assert.deepEqual(seen, ['x']);
  assert.equal(await set.takeExit('x'), 3);
});
