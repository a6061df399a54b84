import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseWaitCondition, Waiters } from './waiters.js';

describe('Waiters', () => {
  it("parses Docker's conditions, not-running by default", () => {
    assert.equal(parseWaitCondition(undefined), 'not-running');
    assert.equal(parseWaitCondition(''), 'not-running');
    assert.equal(parseWaitCondition('removed'), 'removed');
    assert.throws(() => parseWaitCondition('gone'), /invalid condition: "gone"/);
  });

  it('an exit (also one followed by a restart) ends not-running and next-exit waits, a removal all', async () => {
    const w = new Waiters();
    const settled: string[] = [];
    const track = (name: string, p: Promise<{ StatusCode: number }>) => void p.then((r) => settled.push(`${name}:${r.StatusCode}`));
    track('next', w.add('c1', 'next-exit'));
    track('running', w.add('c1', 'not-running'));
    track('removed', w.add('c1', 'removed'));
    track('other', w.add('c2', 'next-exit'));
    w.notify('c1', 'restarting', 3);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(settled, ['next:3', 'running:3']);
    track('next2', w.add('c1', 'next-exit'));
    w.notify('c1', 'exit', 4);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(settled, ['next:3', 'running:3', 'next2:4']);
    w.notify('c1', 'removed', 4);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(settled, ['next:3', 'running:3', 'next2:4', 'removed:4']);
  });

  it('drops a waiter whose client went away', async () => {
    const w = new Waiters();
    const ac = new AbortController();
    let done = false;
    void w.add('c1', 'next-exit', ac.signal).then(() => { done = true; });
    ac.abort();
    w.notify('c1', 'exit', 0);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
  });
});
