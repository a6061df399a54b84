import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBytes, parseCpus, parseDuration, parseSwap } from './units.js';
import { parsePortSpec, parsePorts } from './ports.js';
import { normalizeCaps, parseDevice, parseEnvFileText, parseRestart, parseUlimit } from './kv.js';
import { parseMount } from './mounts.js';
import { getTimestamp } from './time.js';

test('parseBytes (go-units RAMInBytes)', () => {
  assert.equal(parseBytes('500m'), 500 * 1024 * 1024);
  assert.equal(parseBytes('1g'), 1024 ** 3);
  assert.equal(parseBytes('1GB'), 1024 ** 3);
  assert.equal(parseBytes('1.5k'), 1536);
  assert.equal(parseBytes('100'), 100);
  assert.equal(parseBytes('64MiB'), 64 * 1024 * 1024);
  assert.throws(() => parseBytes('lots'), /invalid size: 'lots'/);
  assert.equal(parseSwap('-1'), -1);
});

test('parseDuration (Go time.ParseDuration, ns)', () => {
  assert.equal(parseDuration('2s'), 2e9);
  assert.equal(parseDuration('1m30s'), 90e9);
  assert.equal(parseDuration('1.5h'), 5400e9);
  assert.equal(parseDuration('300ms'), 3e8);
  assert.equal(parseDuration('0'), 0);
  assert.throws(() => parseDuration('10'), /missing unit/);
  assert.throws(() => parseDuration('abc'), /invalid duration/);
});

test('parseCpus', () => {
  assert.equal(parseCpus('1.5'), 1_500_000_000);
  assert.equal(parseCpus('.5'), 500_000_000);
  assert.throws(() => parseCpus('x'));
});

test('parsePortSpec (nat.ParsePortSpec)', () => {
  assert.deepEqual(parsePortSpec('8080:80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '8080' } }]);
  assert.deepEqual(parsePortSpec('127.0.0.1:8080:80/udp'), [{ port: '80/udp', binding: { HostIp: '127.0.0.1', HostPort: '8080' } }]);
  assert.deepEqual(parsePortSpec('80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '' } }]);
  assert.deepEqual(parsePortSpec('[::1]:80:80'), [{ port: '80/tcp', binding: { HostIp: '::1', HostPort: '80' } }]);
  assert.deepEqual(parsePortSpec('8000-8001:80-81').map((m) => [m.port, m.binding.HostPort]), [
    ['80/tcp', '8000'],
    ['81/tcp', '8001'],
  ]);
  assert.deepEqual(parsePortSpec('8080-8081:80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '8080-8081' } }]);
  assert.throws(() => parsePortSpec('1-2:80-82'), /invalid ranges specified/);
  assert.throws(() => parsePortSpec('foo:80:80'), /invalid IP address: foo/);
  assert.throws(() => parsePortSpec('80/xyz'), /invalid proto: xyz/);
  assert.deepEqual(Object.keys(parsePorts([], ['8000-8002', '9000/udp']).exposed), ['8000/tcp', '8001/tcp', '8002/tcp', '9000/udp']);
  assert.throws(() => parsePorts([], ['1:2']), /invalid port format for --expose/);
});

test('env files, restart, ulimit, device, caps', () => {
  assert.deepEqual(parseEnvFileText('# c\nA=1\n  B\nC=x y\n', 'f', (n) => (n === 'B' ? 'b' : undefined)), ['A=1', 'B=b', 'C=x y']);
  assert.throws(() => parseEnvFileText('A B=1\n', 'f', () => undefined), /contains whitespaces/);
  assert.deepEqual(parseRestart('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.deepEqual(parseRestart('always'), { Name: 'always' });
  assert.throws(() => parseRestart('always:3'), /maximum retry count can only be used with 'on-failure'/);
  assert.deepEqual(parseUlimit('nofile=1024:2048'), { Name: 'nofile', Soft: 1024, Hard: 2048 });
  assert.deepEqual(parseUlimit('nproc=100'), { Name: 'nproc', Soft: 100, Hard: 100 });
  assert.deepEqual(parseDevice('/dev/sda:/dev/xvda:r'), { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' });
  assert.deepEqual(parseDevice('/dev/fuse'), { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' });
  assert.deepEqual(normalizeCaps(['sys_admin', 'CAP_CHOWN', 'chown']), ['CAP_CHOWN', 'CAP_SYS_ADMIN']);
});

test('parseMount', () => {
  assert.deepEqual(parseMount('type=bind,source=/a,target=/b,readonly'), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true });
  assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1770 } });
  assert.throws(() => parseMount('type=bind,src=/a'), /target is required/);
  assert.throws(() => parseMount('type=bind,dst=/a,volume-nocopy'), /cannot mix 'volume-\*' options with mount type 'bind'/);
});

test('getTimestamp', () => {
  assert.equal(getTimestamp('1700000000'), '1700000000');
  assert.equal(getTimestamp('10s', 1_700_000_000_000), '1699999990.000000000');
  assert.equal(getTimestamp('2023-11-14T22:13:20Z'), '1700000000.000000000');
});
