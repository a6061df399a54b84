import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archivePath, checkLinkTarget, cleanAbs, encodePathStat, entryTarget, goFileMode, goTime, lookupUser, mountHolding } from './paths.js';

test('archivePath: trailing / and /. follow the last component; the base name as Docker takes it', () => {
  assert.deepEqual(archivePath('/etc/passwd'), { abs: '/etc/passwd', follow: false, base: 'passwd' });
  assert.deepEqual(archivePath('etc/'), { abs: '/etc', follow: true, base: 'etc' });
  assert.deepEqual(archivePath('/data/.'), { abs: '/data', follow: true, base: '.' });
  assert.deepEqual(archivePath('/'), { abs: '/', follow: true, base: '/' });
  assert.deepEqual(archivePath('/../../x/../y'), { abs: '/y', follow: false, base: 'y' });
  assert.equal(cleanAbs('a//b/../c/'), '/a/c');
});

test("goFileMode: Go's os.FileMode bits", () => {
  assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755);
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
  assert.equal(goFileMode(0o100644), 0o644);
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
  assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777);
  assert.equal(goFileMode(0o020666), 2 ** 26 + 2 ** 21 + 0o666);
  assert.equal(goFileMode(0o010644), 2 ** 25 + 0o644);
});

test('goTime: RFC 3339 with nanoseconds, trailing zeros dropped', () => {
  assert.equal(goTime(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
  assert.equal(goTime(1_700_000_000_500_000_000n), '2023-11-14T22:13:20.5Z');
  assert.equal(goTime(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
  const s = JSON.parse(Buffer.from(encodePathStat({ name: 'a', size: 1, mode: 420, mtime: 'x', linkTarget: '' }), 'base64').toString());
  assert.deepEqual(Object.keys(s), ['name', 'size', 'mode', 'mtime', 'linkTarget']);
});

test('entryTarget: names stay under the destination; `..` out of it is refused', () => {
  assert.deepEqual(entryTarget('a/b/../c', '/tmp'), ['a', 'c']);
  assert.deepEqual(entryTarget('/etc/passwd', '/tmp'), ['etc', 'passwd']);
  assert.deepEqual(entryTarget('./', '/tmp'), []);
  assert.throws(() => entryTarget('../x', '/tmp'), /"..\/x" is outside of "\/tmp"/);
  assert.throws(() => entryTarget('a/../../x', '/tmp'), /outside/);
});

test('checkLinkTarget: symlinks and hardlinks may not point (lexically) out of the destination', () => {
  checkLinkTarget('symlink', ['a', 'l'], '/etc/passwd', 'a/l');
  checkLinkTarget('symlink', ['a', 'l'], '../b', 'a/l');
  assert.throws(() => checkLinkTarget('symlink', ['a', 'l'], '../../b', 'a/l'), /invalid symlink "a\/l" -> "..\/..\/b"/);
  checkLinkTarget('link', ['x'], 'a/f', 'x');
  assert.throws(() => checkLinkTarget('link', ['x'], '../f', 'x'), /invalid hardlink/);
});

test('mountHolding: the deepest mount containing the path', () => {
  const m = [{ destination: '/data', rw: true }, { destination: '/data/ro', rw: false }];
  assert.equal(mountHolding(m, '/data/ro/x')?.rw, false);
  assert.equal(mountHolding(m, '/data/rox')?.rw, true);
  assert.equal(mountHolding(m, '/datax'), undefined);
});

test('lookupUser: names and ids from the container passwd and group files', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:34::/var/www:/bin/false\n';
  const group = 'root:x:0:\nstaff:x:50:\n';
  assert.deepEqual(lookupUser('www', passwd, group), { uid: 33, gid: 34 });
  assert.deepEqual(lookupUser('www:staff', passwd, group), { uid: 33, gid: 50 });
  assert.deepEqual(lookupUser('1000:7', passwd, group), { uid: 1000, gid: 7 });
  assert.throws(() => lookupUser('nobody', passwd, group), /unable to find user nobody/);
});
