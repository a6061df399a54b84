import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { resolveRemap, type RemapSources } from './remap.js';

const passwd = 'root:x:0:0:root:/root:/bin/bash\ndockremap:x:999:995::/home/dockremap:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n';
const group = 'root:x:0:\ndockremap:x:995:\nalice:x:1000:\nstaff:x:50:\n';
const src = (over: Partial<RemapSources> = {}): RemapSources => ({
  passwd, group,
  subuid: 'dockremap:165536:65536\nalice:231072:65536\n1234561:400000:65536\n999:500000:1000\n',
  subgid: 'dockremap:165536:65536\nalice:231072:65536\n1234561:400000:65536\n',
  ...over,
});
const invalid = (re: RegExp) => (e: unknown) => isKind(e, 'InvalidArgument') && re.test((e as Error).message);

test('a user name: ranges by uid first (subgid too), then by name; the root pair names the state dir', () => {
  const r = resolveRemap('alice', src());
  assert.deepEqual(r, {
    setting: 'alice:alice',
    mapping: { uids: [{ containerID: 0, hostID: 231072, size: 65536 }], gids: [{ containerID: 0, hostID: 231072, size: 65536 }] },
    root: { uid: 231072, gid: 231072 },
  });
  // "default" is dockremap; its uid (999) has a subuid range of its own, which wins over the name's
  const d = resolveRemap('default', src());
  assert.equal(d?.setting, 'dockremap:dockremap');
  assert.deepEqual(d?.mapping.uids, [{ containerID: 0, hostID: 500000, size: 1000 }]);
  assert.deepEqual(d?.mapping.gids, [{ containerID: 0, hostID: 165536, size: 65536 }]);
  assert.equal(resolveRemap('alice:staff', src())?.setting, 'alice:staff');
  assert.equal(resolveRemap('alice:50', src())?.setting, 'alice:staff');
});

test('numeric ids, with or without an account (looked up by number)', () => {
  const r = resolveRemap('1234561:1234561', src());
  assert.equal(r?.setting, '1234561:1234561');
  assert.deepEqual(r?.root, { uid: 400000, gid: 400000 });
  assert.equal(resolveRemap('1234561', src())?.setting, '1234561:1234561');
  assert.equal(resolveRemap('1000', src())?.setting, 'alice:alice');
  assert.deepEqual(resolveRemap('1000', src())?.root, { uid: 231072, gid: 231072 });
});

test('root is not remapped: user namespaces stay off', () => {
  assert.equal(resolveRemap('root', src()), null);
  assert.equal(resolveRemap('0:0', src()), null);
});

test('Docker\'s errors for bad settings, unknown names and missing ranges', () => {
  assert.throws(() => resolveRemap('a:b:c', src()), invalid(/^Invalid user\/group specification in --userns-remap: "a:b:c"$/));
  assert.throws(() => resolveRemap('nobody2', src()), invalid(/^Error during uid lookup for "nobody2": /));
  assert.throws(() => resolveRemap('alice:nogroup2', src()), invalid(/^Error during groupname lookup for "nogroup2": /));
  assert.throws(() => resolveRemap('default', src({ passwd: 'root:x:0:0::/root:/bin/sh\n' })), invalid(/^Error during "dockremap" user creation: /));
  assert.throws(() => resolveRemap('7777', src()), invalid(/^Can't create ID mappings: no subuid ranges found for user "7777"$/));
  assert.throws(() => resolveRemap('alice', src({ subgid: 'bob:1:2\n' })), invalid(/^Can't create ID mappings: no subgid ranges found for user "alice"$/));
  assert.throws(() => resolveRemap('alice', src({ subuid: undefined })), invalid(/^Can't create ID mappings: open \/etc\/subuid: no such file or directory$/));
  assert.throws(() => resolveRemap('alice', src({ subuid: 'alice:1\n' })), invalid(/^Can't create ID mappings: Cannot parse subuid\/gid information: Format not correct for \/etc\/subuid file$/));
  assert.throws(() => resolveRemap('-5', src()), invalid(/^Uid -5 has no entry in \/etc\/passwd/));
});
