import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PriorityGate } from './limiter.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A task that runs until its release is called; `running` tells whether it began. */
function task(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => { release = r; });
  return { fn: async () => { log.push(`+${name}`); await done; log.push(`-${name}`); }, release: () => release() };
}

test('PriorityGate: urgent work runs at once, other work a few at a time and not during a hold; open() lifts the limits', async () => {
  const g = new PriorityGate(2);
  const log: string[] = [];
  const [u, a, b, c] = [task(log, 'u'), task(log, 'a'), task(log, 'b'), task(log, 'c')];
  const ps = [g.later(a.fn), g.later(b.fn), g.later(c.fn)];
  const pu = g.urgent(u.fn);
  await tick();
  assert.deepEqual(log, ['+a', '+b', '+u']);
  u.release();
  await pu;
  // a hold (a probe about to run) stops new background work; what runs goes on
  const release = g.hold();
  a.release();
  await ps[0];
  await tick();
  assert.deepEqual(log.slice(3), ['-u', '-a']);
  release();
  await tick();
  assert.deepEqual(log.slice(5), ['+c']);
  g.open();
  const d = task(log, 'd');
  const e = task(log, 'e');
  const more = [g.later(d.fn), g.later(e.fn)];
  await tick();
  assert.ok(log.includes('+d') && log.includes('+e'), 'open: no limit');
  for (const t of [b, c, d, e]) t.release();
  await Promise.all([...ps, ...more]);
});
