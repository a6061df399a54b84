import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedLock } from './sharedlock.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('SharedLock', () => {
  it('runs shared holders together and an exclusive one alone, in arrival order', async () => {
    const lock = new SharedLock();
    const events: string[] = [];
    let inside = 0;
    let maxShared = 0;
    const shared = (name: string) =>
      lock.shared(async () => {
        inside++;
        maxShared = Math.max(maxShared, inside);
        events.push(`${name}+`);
        await tick();
        events.push(`${name}-`);
        inside--;
      });
    const exclusive = (name: string) =>
      lock.exclusive(async () => {
        assert.equal(inside, 0, `${name} runs alone`);
        events.push(`${name}+`);
        await tick();
        events.push(`${name}-`);
      });
    await Promise.all([shared('r1'), shared('r2'), exclusive('w'), shared('r3')]);
    assert.equal(maxShared, 2);
    // r3 arrived after w: it waits for w even though readers were running when it arrived
    assert.deepEqual(events.slice(0, 4).sort(), ['r1+', 'r1-', 'r2+', 'r2-']);
    assert.deepEqual(events.slice(4), ['w+', 'w-', 'r3+', 'r3-']);
  });

  it('releases the lock when the holder throws', async () => {
    const lock = new SharedLock();
    await assert.rejects(lock.exclusive(async () => { throw new Error('boom'); }), /boom/);
    await assert.rejects(lock.shared(async () => { throw new Error('bang'); }), /bang/);
    assert.equal(await lock.exclusive(async () => 42), 42);
  });
});
