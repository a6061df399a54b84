import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { cgroupMounts, parseMountinfo, parseProcCgroup, pathsFromCgroupsPath, pathsFromProcCgroup } from './paths.js';

/** This machine's: cgroup v1 controllers each on its own mount, plus a cgroup2 tree ("hybrid"). */
const HYBRID = `22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const HYBRID_PROC = `9:name=systemd:/
8:pids:/berth/abc
7:blkio:/berth/abc
6:freezer:/
5:devices:/berth/abc
4:memory:/berth/abc
3:cpuset:/berth/abc
2:cpuacct:/berth/abc
1:cpu:/berth/abc
0::/
`;

/** A systemd host on cgroup v2 (Debian 12, Ubuntu 22.04 and later). */
const UNIFIED = `24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
27 24 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
29 24 0:27 / /sys/fs/bpf rw,nosuid,nodev,noexec,relatime shared:11 - bpf bpf rw,mode=700
`;

/** Docker-style v1 layout with co-mounted cpu,cpuacct, seen from inside a container (mount roots not "/"). */
const NESTED = `600 590 0:31 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu,cpuacct
601 590 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory
602 590 0:33 / /mnt/my\\040cgroups rw,relatime - cgroup cgroup rw,pids
`;

test('parseMountinfo: fields, optional fields and escapes', () => {
  const m = parseMountinfo(UNIFIED);
  assert.equal(m.length, 3);
  assert.deepEqual(m[1], { root: '/', mountpoint: '/sys/fs/cgroup', fstype: 'cgroup2', source: 'cgroup2', superOptions: ['rw', 'nsdelegate', 'memory_recursiveprot'] });
  assert.equal(parseMountinfo(NESTED)[2]?.mountpoint, '/mnt/my cgroups');
});

test('cgroupMounts: hybrid is v1, unified is v2', () => {
  const h = cgroupMounts(parseMountinfo(HYBRID));
  assert.equal(h.version, 1);
  assert.deepEqual(h.v1.memory, { mountpoint: '/sys/fs/cgroup/memory', root: '/' });
  assert.deepEqual(Object.keys(h.v1).sort(), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']);
  assert.deepEqual(h.unified, { mountpoint: '/sys/fs/cgroup/unified', root: '/' });
  const u = cgroupMounts(parseMountinfo(UNIFIED));
  assert.equal(u.version, 2);
  assert.deepEqual(u.unified, { mountpoint: '/sys/fs/cgroup', root: '/' });
  const n = cgroupMounts(parseMountinfo(NESTED));
  assert.deepEqual(n.v1.cpu, { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', root: '/docker/abc' });
  assert.deepEqual(n.v1.cpuacct, n.v1.cpu);
  assert.throws(() => cgroupMounts(parseMountinfo('22 28 0:21 / /proc rw - proc proc rw\n')), (e) => isKind(e, 'Unavailable'));
});

test('parseProcCgroup', () => {
  assert.deepEqual(parseProcCgroup('1:cpu,cpuacct:/a:b\n0::/user.slice\n'), [
    { id: 1, controllers: ['cpu', 'cpuacct'], path: '/a:b' },
    { id: 0, controllers: [], path: '/user.slice' },
  ]);
});

test('pathsFromProcCgroup: v1 per controller, v2 unified, mount roots honoured', () => {
  const v1 = pathsFromProcCgroup(parseProcCgroup(HYBRID_PROC), cgroupMounts(parseMountinfo(HYBRID)));
  assert.deepEqual(v1, {
    version: 1,
    dirs: {
      pids: '/sys/fs/cgroup/pids/berth/abc', blkio: '/sys/fs/cgroup/blkio/berth/abc', freezer: '/sys/fs/cgroup/freezer',
      devices: '/sys/fs/cgroup/devices/berth/abc', memory: '/sys/fs/cgroup/memory/berth/abc', cpuset: '/sys/fs/cgroup/cpuset/berth/abc',
      cpuacct: '/sys/fs/cgroup/cpuacct/berth/abc', cpu: '/sys/fs/cgroup/cpu/berth/abc',
    },
  });
  const v2 = pathsFromProcCgroup(parseProcCgroup('0::/system.slice/berth-x.scope\n'), cgroupMounts(parseMountinfo(UNIFIED)));
  assert.deepEqual(v2, { version: 2, dir: '/sys/fs/cgroup/system.slice/berth-x.scope' });
  const nested = pathsFromProcCgroup(parseProcCgroup('3:pids:/\n2:memory:/docker/abc/sub\n1:cpu,cpuacct:/docker/abc\n'), cgroupMounts(parseMountinfo(NESTED)));
  assert.deepEqual(nested, {
    version: 1,
    dirs: { pids: '/mnt/my cgroups', memory: '/sys/fs/cgroup/memory/sub', cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct' },
  });
  // outside the mounted part of the tree: not reachable
  const outside = pathsFromProcCgroup(parseProcCgroup('2:memory:/other\n'), cgroupMounts(parseMountinfo(NESTED)));
  assert.deepEqual(outside, { version: 1, dirs: {} });
  assert.throws(() => pathsFromProcCgroup(parseProcCgroup('1:memory:/x\n'), cgroupMounts(parseMountinfo(UNIFIED))), (e) => isKind(e, 'Unavailable'));
});

test('pathsFromCgroupsPath: runc places an absolute cgroupsPath at the top of each hierarchy', () => {
  const v1 = pathsFromCgroupsPath('/berth/abc', cgroupMounts(parseMountinfo(HYBRID)));
  assert.equal(v1.version, 1);
  if (v1.version === 1) {
    assert.equal(v1.dirs.memory, '/sys/fs/cgroup/memory/berth/abc');
    assert.equal(v1.dirs.cpuacct, '/sys/fs/cgroup/cpuacct/berth/abc');
  }
  assert.deepEqual(pathsFromCgroupsPath('berth/abc', cgroupMounts(parseMountinfo(UNIFIED))), { version: 2, dir: '/sys/fs/cgroup/berth/abc' });
});
