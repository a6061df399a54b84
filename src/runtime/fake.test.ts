import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime } from './fake.js';

const opts = (id: string) => ({ id, bundle: `/b/${id}`, tty: false, stdin: false, logPath: `/l/${id}`, leaveStdinOpen: false });

test('fake runtime keeps the lifecycle: create, start, pause, resume, exit, delete', async () => {
  const rt = new FakeRuntime();
  const seen: string[] = [];
  rt.watchExits((id) => seen.push(id));
  const pid = await rt.create(opts('a'));
  assert.deepEqual(await rt.state('a'), { pid, status: 'created' });
  await rt.start('a');
  await assert.rejects(rt.start('a'));
  await rt.pause('a');
  assert.equal((await rt.state('a'))?.status, 'paused');
  await assert.rejects(rt.pause('a'));
  await rt.resume('a');
  rt.exit('a', 137);
  assert.deepEqual(seen, ['a']);
  assert.deepEqual(await rt.pendingExits(), ['a']);
  assert.equal(await rt.takeExit('a'), 137);
  assert.equal(await rt.takeExit('a'), undefined);
  await rt.delete('a');
  assert.equal(await rt.state('a'), undefined);
  await rt.delete('a'); // no state: a no-op
  assert.deepEqual(rt.calls, ['create a', 'start a', 'start a', 'pause a', 'pause a', 'resume a', 'delete a']);
});

test('fake runtime: an injected failure fails one call and changes nothing', async () => {
  const rt = new FakeRuntime();
  rt.failNext('create', 'exec: "nope": executable file not found in $PATH');
  await assert.rejects(rt.create(opts('b')), /executable file not found/);
  assert.equal(await rt.state('b'), undefined);
  await rt.create(opts('b'));
  await assert.rejects(rt.start('nosuch'), /does not exist/);
});

test('fake runtime: exec runs once released and exits with the code the test gives', async () => {
  const rt = new FakeRuntime();
  await rt.create(opts('c'));
  await assert.rejects(rt.exec({ containerId: 'c', execId: 'e0', dir: '/x/e0', process: {}, tty: false, stdin: false }));
  await rt.start('c');
  const s = await rt.exec({ containerId: 'c', execId: 'e1', dir: '/x/e1', process: {}, tty: false, stdin: false });
  assert.equal(rt.execs.get('e1')?.released, false);
  s.release();
  assert.ok((await s.pidKnown) > 0);
  rt.execs.get('e1')!.finish(3);
  assert.equal(await s.exited, 3);
  const conn = await rt.attach(s.attachPath);
  const got: string[] = [];
  conn.on('data', (stream, d) => got.push(`${stream}:${d.toString()}`));
  rt.attachments.get(s.attachPath)![0]!.output('stdout', 'hi');
  assert.deepEqual(got, ['stdout:hi']);
});
