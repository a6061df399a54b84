import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isKind } from '../../core/errors.js';
import { resolveInRoot, resolveUser } from './user.js';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
# comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
app:x:1000:1000:App:/home/app:/bin/sh
`;
const GROUP = `root:x:0:
wheel:x:10:root,app
staff:x:50:app
app:x:1000:
docker:x:999:
`;

async function rootfs(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-user-'));
  await mkdir(path.join(dir, 'etc'));
  await writeFile(path.join(dir, 'etc/passwd'), PASSWD);
  await writeFile(path.join(dir, 'etc/group'), GROUP);
  return dir;
}

const invalid = (msg: string) => (e: unknown) => isKind(e, 'InvalidArgument') && (e as Error).message === msg;

test('resolveUser table', async (t) => {
  const dir = await rootfs();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const table: [string, { uid: number; gid: number; additionalGids: number[]; home: string }][] = [
    ['', { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' }],
    ['root', { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' }],
    ['app', { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50], home: '/home/app' }],
    ['1000', { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50], home: '/home/app' }],
    ['app:staff', { uid: 1000, gid: 50, additionalGids: [50], home: '/home/app' }],
    ['app:999', { uid: 1000, gid: 999, additionalGids: [999], home: '/home/app' }],
    ['4242', { uid: 4242, gid: 0, additionalGids: [0], home: '/' }],
    ['4242:4343', { uid: 4242, gid: 4343, additionalGids: [4343], home: '/' }],
    ['daemon:docker', { uid: 1, gid: 999, additionalGids: [999], home: '/usr/sbin' }],
  ];
  for (const [spec, want] of table) assert.deepEqual(await resolveUser(dir, spec), want, spec);
  assert.deepEqual((await resolveUser(dir, 'daemon', ['docker', '77', 'wheel'])).additionalGids, [1, 999, 77, 10]);
  await assert.rejects(resolveUser(dir, 'xyz'), invalid('unable to find user xyz: no matching entries in passwd file'));
  await assert.rejects(resolveUser(dir, 'app:nogroup'), invalid('unable to find group nogroup: no matching entries in group file'));
  await assert.rejects(resolveUser(dir, 'app', ['nogroup']), invalid('Unable to find group nogroup: no matching entries in group file'));
  await assert.rejects(resolveUser(dir, '99999999999'), invalid('uids and gids must be in range 0-2147483647'));
});

test('resolveUser without passwd: numeric ids only', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-user-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.deepEqual(await resolveUser(dir, ''), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
  assert.deepEqual(await resolveUser(dir, '5:6'), { uid: 5, gid: 6, additionalGids: [6], home: '/' });
  await assert.rejects(resolveUser(dir, 'app'), invalid('unable to find user app: no matching entries in passwd file'));
});

test('symlinks never lead out of the rootfs', async (t) => {
  const outside = await mkdtemp(path.join(os.tmpdir(), 'berth-outside-'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-user-'));
  t.after(() => Promise.all([rm(dir, { recursive: true, force: true }), rm(outside, { recursive: true, force: true })]));
  await writeFile(path.join(outside, 'passwd'), 'evil:x:0:0::/:/bin/sh\n');
  await mkdir(path.join(dir, 'etc'));
  // relative escape: treated as absent
  await symlink(path.relative(path.join(dir, 'etc'), path.join(outside, 'passwd')), path.join(dir, 'etc/passwd'));
  await rm(path.join(dir, 'etc/passwd'));
  await symlink('../../../../../../../../' + outside.slice(1) + '/passwd', path.join(dir, 'etc/passwd'));
  await assert.rejects(resolveUser(dir, 'evil'), invalid('unable to find user evil: no matching entries in passwd file'));
  assert.equal(await resolveInRoot(dir, '/etc/passwd'), null);

  // absolute target: resolved inside the rootfs, never the host's file
  await rm(path.join(dir, 'etc/passwd'));
  await symlink(path.join(outside, 'passwd'), path.join(dir, 'etc/passwd'));
  await assert.rejects(resolveUser(dir, 'evil'), invalid('unable to find user evil: no matching entries in passwd file'));
  assert.equal(await resolveInRoot(dir, '/etc/passwd'), path.join(dir, outside, 'passwd'));

  // a symlinked /etc directory pointing to the host's /etc
  await rm(path.join(dir, 'etc'), { recursive: true });
  await symlink('/etc', path.join(dir, 'etc'));
  await assert.rejects(resolveUser(dir, 'root'), invalid('unable to find user root: no matching entries in passwd file'));

  // a legitimate in-rootfs symlink is followed
  await rm(path.join(dir, 'etc'));
  await mkdir(path.join(dir, 'etc'));
  await mkdir(path.join(dir, 'usr/share'), { recursive: true });
  await writeFile(path.join(dir, 'usr/share/passwd'), PASSWD);
  await symlink('../usr/share/passwd', path.join(dir, 'etc/passwd'));
  assert.equal((await resolveUser(dir, 'app')).uid, 1000);
  await rm(path.join(dir, 'etc/passwd'));
  await symlink('/usr/share/passwd', path.join(dir, 'etc/passwd'));
  assert.equal((await resolveUser(dir, 'app')).uid, 1000);

  // symlink loop: absent
  await rm(path.join(dir, 'etc/passwd'));
  await symlink('passwd', path.join(dir, 'etc/passwd'));
  await assert.rejects(resolveUser(dir, 'app'), invalid('unable to find user app: no matching entries in passwd file'));
});
