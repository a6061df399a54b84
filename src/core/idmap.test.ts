import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from './errors.js';
import { createIdMap, parseSubIds, rangesOf, rootPair, toContainer, toHost } from './idmap.js';

const invalid = (re: RegExp) => (e: unknown) => isKind(e, 'InvalidArgument') && re.test((e as Error).message);

test('parseSubIds: owner:start:count lines, blanks and comments skipped', () => {
  const text = '# ranges\nalice:100000:65536\n\n  1234561:400000:65536  \nbob:165536:65536\nalice:300000:10\n';
  assert.deepEqual(parseSubIds(text, '/etc/subuid'), [
    { owner: 'alice', start: 100000, length: 65536 },
    { owner: '1234561', start: 400000, length: 65536 },
    { owner: 'bob', start: 165536, length: 65536 },
    { owner: 'alice', start: 300000, length: 10 },
  ]);
  assert.deepEqual(parseSubIds('', '/etc/subuid'), []);
});

test('parseSubIds: malformed lines are Docker\'s errors naming the file', () => {
  assert.throws(() => parseSubIds('alice:100000\n', '/etc/subgid'), invalid(/^Cannot parse subuid\/gid information: Format not correct for \/etc\/subgid file$/));
  assert.throws(() => parseSubIds('alice:1:2:3\n', '/etc/subuid'), invalid(/Format not correct for \/etc\/subuid file/));
  assert.throws(() => parseSubIds('alice:x:65536\n', '/etc/subuid'), invalid(/^String to int conversion failed during subuid\/gid parsing of \/etc\/subuid: .*"x"/));
  assert.throws(() => parseSubIds('alice:100000:-1\n', '/etc/subuid'), invalid(/String to int conversion failed/));
});

test('rangesOf: the first key with ranges wins (uid before name), all of its ranges', () => {
  const r = parseSubIds('alice:100000:65536\n1000:200000:65536\nalice:300000:10\n', 'f');
  assert.deepEqual(rangesOf(r, ['1000', 'alice']).map((x) => x.start), [200000]);
  assert.deepEqual(rangesOf(r, ['1001', 'alice']).map((x) => x.start), [100000, 300000]);
  assert.deepEqual(rangesOf(r, ['1001', 'carol']), []);
});

test('createIdMap: sorted by start, container ids contiguous from 0', () => {
  const m = createIdMap([{ owner: 'a', start: 300000, length: 10 }, { owner: 'a', start: 100000, length: 65536 }]);
  assert.deepEqual(m, [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 300000, size: 10 }]);
});

test('toHost / toContainer through several ranges; ids outside are Docker\'s errors', () => {
  const maps = [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 300000, size: 10 }];
  assert.equal(toHost(0, maps), 100000);
  assert.equal(toHost(65535, maps), 165535);
  assert.equal(toHost(65536, maps), 300000);
  assert.equal(toHost(65545, maps), 300009);
  assert.throws(() => toHost(65546, maps), invalid(/^Container ID 65546 cannot be mapped to a host ID$/));
  assert.equal(toContainer(300001, maps), 65537);
  assert.throws(() => toContainer(99999, maps), invalid(/^Host ID 99999 cannot be mapped to a container ID$/));
  assert.equal(toHost(42, []), 42);
  assert.equal(toContainer(42, []), 42);
  assert.deepEqual(rootPair({ uids: maps, gids: [{ containerID: 0, hostID: 500000, size: 1 }] }), { uid: 100000, gid: 500000 });
});
