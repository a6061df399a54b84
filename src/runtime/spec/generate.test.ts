import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, RLIM_INFINITY, generateSpec, mergeTmpfsOptions, specToJSON } from './generate.js';
import type { SpecInput } from './generate.js';

const base = (over: Partial<SpecInput> = {}): SpecInput => ({
  id: 'abc',
  rootfs: '/var/lib/berth/c/abc/rootfs',
  args: ['sh'],
  env: ['PATH=/bin'],
  user: { uid: 0, gid: 0 },
  hostname: 'abc123',
  paths: { hosts: '/run/c/hosts', hostname: '/run/c/hostname', resolvConf: '/run/c/resolv.conf' },
  cgroupsPath: '/berth-1/abc',
  ...over,
});

const dests = (s: ReturnType<typeof generateSpec>) => s.mounts.map((m) => m.destination);
const nsTypes = (s: ReturnType<typeof generateSpec>) => s.linux.namespaces.map((n) => n.type);
const invalid = (re: RegExp) => (err: unknown) => isKind(err, 'InvalidArgument') && re.test((err as Error).message);

test('default container spec', () => {
  const s = generateSpec(base());
  assert.equal(s.ociVersion, '1.0.2');
  assert.deepEqual(s.root, { path: '/var/lib/berth/c/abc/rootfs', readonly: false });
  assert.equal(s.hostname, 'abc123');
  assert.equal(s.process.terminal, false);
  assert.equal(s.process.cwd, '/');
  assert.deepEqual(s.process.user, { uid: 0, gid: 0 });
  assert.deepEqual(s.process.capabilities.bounding, DEFAULT_CAPABILITIES);
  assert.deepEqual(s.process.capabilities.effective, DEFAULT_CAPABILITIES);
  assert.deepEqual(s.process.capabilities.permitted, DEFAULT_CAPABILITIES);
  assert.equal(s.process.capabilities.inheritable, undefined);
  assert.equal(s.process.rlimits, undefined);
  assert.deepEqual(nsTypes(s), ['mount', 'network', 'uts', 'pid', 'ipc']);
  assert.ok(s.linux.namespaces.every((n) => n.path === undefined));
  assert.deepEqual(dests(s), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
  const byDest = Object.fromEntries(s.mounts.map((m) => [m.destination, m]));
  assert.deepEqual(byDest['/dev/shm'], { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] });
  assert.ok(byDest['/sys']?.options?.includes('ro'));
  assert.ok(byDest['/sys/fs/cgroup']?.options?.includes('ro'));
  assert.deepEqual(byDest['/etc/hosts'], { destination: '/etc/hosts', type: 'bind', source: '/run/c/hosts', options: ['rbind', 'rprivate'] });
  assert.deepEqual(s.linux.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.deepEqual(s.linux.readonlyPaths, DEFAULT_READONLY_PATHS);
  assert.equal(s.linux.cgroupsPath, '/berth-1/abc');
  assert.deepEqual(s.linux.devices?.map((d) => d.path), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
  assert.deepEqual(s.linux.resources?.devices?.[0], { allow: false, access: 'rwm' });
  assert.equal(s.linux.resources?.devices?.length, 8);
  assert.equal(s.linux.seccomp, undefined);
  assert.equal(s.linux.sysctl, undefined);
});

test('tty, console size, user, cwd, oom score, no-new-privileges, seccomp pass-through', () => {
  const seccomp = { defaultAction: 'SCMP_ACT_ERRNO' };
  const s = generateSpec(base({ tty: true, consoleSize: { height: 24, width: 80 }, user: { uid: 1000, gid: 1000, additionalGids: [10, 20] }, cwd: '/app', oomScoreAdj: 500, noNewPrivileges: true, seccomp }));
  assert.equal(s.process.terminal, true);
  assert.deepEqual(s.process.consoleSize, { height: 24, width: 80 });
  assert.deepEqual(s.process.user, { uid: 1000, gid: 1000, additionalGids: [10, 20] });
  assert.equal(s.process.cwd, '/app');
  assert.equal(s.process.oomScoreAdj, 500);
  assert.equal(s.process.noNewPrivileges, true);
  assert.equal(s.linux.seccomp, seccomp);
  assert.equal(generateSpec(base({ consoleSize: { height: 1, width: 1 } })).process.consoleSize, undefined);
});

test('host network shares net and uts, drops the hostname', () => {
  const s = generateSpec(base({ namespaces: { net: { mode: 'host' } } }));
  assert.deepEqual(nsTypes(s), ['mount', 'pid', 'ipc']);
  assert.equal(s.hostname, undefined);
  const own = generateSpec(base({ namespaces: { net: { mode: 'host' }, uts: { mode: 'new' } } }));
  assert.deepEqual(nsTypes(own), ['mount', 'uts', 'pid', 'ipc']);
  assert.equal(own.hostname, 'abc123');
});

test('container:<id> modes join the other container by path', () => {
  const s = generateSpec(base({ namespaces: { net: { mode: 'path', path: '/proc/42/ns/net' }, ipc: { mode: 'path', path: '/proc/42/ns/ipc' }, pid: { mode: 'host' } }, shmSource: '/var/lib/berth/c/other/shm' }));
  assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'network', path: '/proc/42/ns/net' }, { type: 'uts' }, { type: 'ipc', path: '/proc/42/ns/ipc' }]);
  const shm = s.mounts.filter((m) => m.destination === '/dev/shm');
  assert.deepEqual(shm, [{ destination: '/dev/shm', type: 'bind', source: '/var/lib/berth/c/other/shm', options: ['rbind', 'rprivate'] }]);
  assert.equal(generateSpec(base({ noShm: true })).mounts.some((m) => m.destination === '/dev/shm'), false);
  assert.deepEqual(nsTypes(generateSpec(base({ namespaces: { cgroup: 'private' } }))).at(-1), 'cgroup');
});

test('privileged: caps clamp to the bounding set, no masks, rw sysfs, all devices', () => {
  const bounding = ['CAP_CHOWN', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_KILL'];
  const s = generateSpec(base({ privileged: true, boundingCaps: bounding, seccomp: { defaultAction: 'SCMP_ACT_ERRNO' } }));
  assert.deepEqual(s.process.capabilities.bounding, ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
  assert.equal(s.linux.maskedPaths, undefined);
  assert.equal(s.linux.readonlyPaths, undefined);
  assert.equal(s.linux.seccomp, undefined);
  const sys = s.mounts.find((m) => m.destination === '/sys');
  const cg = s.mounts.find((m) => m.destination === '/sys/fs/cgroup');
  assert.ok(!sys?.options?.includes('ro'));
  assert.ok(!cg?.options?.includes('ro'));
  assert.deepEqual(s.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
});

test('cap-add / cap-drop', () => {
  const caps = (o: Partial<SpecInput>) => generateSpec(base(o)).process.capabilities.bounding;
  assert.deepEqual(caps({ capAdd: ['NET_ADMIN', 'cap_sys_ptrace'] }), [...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN', 'CAP_SYS_PTRACE']);
  assert.deepEqual(caps({ capDrop: ['ALL'], capAdd: ['CAP_CHOWN'] }), ['CAP_CHOWN']);
  assert.deepEqual(caps({ capDrop: ['MKNOD', 'NET_RAW'] }), DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_MKNOD' && c !== 'CAP_NET_RAW'));
  const all = caps({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'], boundingCaps: ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_BPF'] });
  assert.deepEqual(all, ['CAP_CHOWN', 'CAP_BPF']);
  assert.throws(() => caps({ capAdd: ['FOO'] }), invalid(/^unknown capability: "CAP_FOO"$/));
  assert.throws(() => caps({ capDrop: ['CAP_BAR'] }), invalid(/^unknown capability: "CAP_BAR"$/));
  assert.throws(() => caps({ capAdd: ['SYS_RESOURCE'], boundingCaps: ['CAP_CHOWN'] }), invalid(/not available/));
  // defaults the daemon cannot grant are silently left out
  assert.deepEqual(caps({ boundingCaps: ['CAP_CHOWN', 'CAP_KILL'] }), ['CAP_CHOWN', 'CAP_KILL']);
});

test('read-only rootfs makes /sys, cgroup and the /etc files read-only', () => {
  const s = generateSpec(base({ readonlyRootfs: true }));
  assert.equal(s.root.readonly, true);
  const o = (d: string) => s.mounts.find((m) => m.destination === d)?.options ?? [];
  assert.ok(o('/etc/hosts').includes('ro'));
  assert.ok(o('/etc/resolv.conf').includes('ro'));
  assert.ok(!o('/dev/shm').includes('ro'));
  assert.ok(!o('/proc').includes('ro'));
});

test('user mounts: tmpfs, binds, overrides of default mounts, depth order, init', () => {
  const s = generateSpec(base({
    tmpfs: { '/run': '', '/dev/shm': 'size=1m,exec' },
    binds: [{ source: '/data/a/b', destination: '/mnt/a/b' }, { source: '/data/a', destination: '/mnt/a', options: ['ro', 'rprivate'] }],
    init: { path: '/usr/libexec/berth-init' },
  }));
  assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sh']);
  const d = dests(s);
  assert.equal(d.filter((x) => x === '/dev/shm').length, 1);
  assert.ok(d.indexOf('/mnt/a') < d.indexOf('/mnt/a/b'));
  const byDest = Object.fromEntries(s.mounts.map((m) => [m.destination, m]));
  assert.deepEqual(byDest['/run'], { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate'] });
  assert.deepEqual(byDest['/dev/shm']?.options, ['nosuid', 'nodev', 'rprivate', 'size=1m', 'exec']);
  assert.deepEqual(byDest['/mnt/a']?.options, ['rbind', 'ro', 'rprivate']);
  assert.deepEqual(byDest['/sbin/docker-init'], { destination: '/sbin/docker-init', type: 'bind', source: '/usr/libexec/berth-init', options: ['bind', 'ro'] });
  assert.throws(() => generateSpec(base({ binds: [{ source: '/x', destination: '/etc/hosts' }] })), invalid(/Duplicate mount point/));
  assert.throws(() => generateSpec(base({ tmpfs: { '/t': 'bogus' } })), invalid(/invalid tmpfs option/));
  const devUser = generateSpec(base({ binds: [{ source: '/dev', destination: '/dev' }] }));
  assert.ok(!dests(devUser).some((x) => x.startsWith('/dev/')));
});

test('mergeTmpfsOptions keeps the last of each kind', () => {
  assert.deepEqual(mergeTmpfsOptions(['noexec', 'rprivate', 'exec', 'size=1', 'size=2', 'shared', 'defaults']), ['exec', 'size=2', 'shared']);
});

test('rlimits never exceed the daemon hard limit', () => {
  const s = generateSpec(base({
    ulimits: [{ Name: 'nofile', Soft: 1048576, Hard: 1048576 }, { Name: 'nproc', Soft: 100, Hard: 200 }, { Name: 'core', Soft: -1, Hard: -1 }],
    hostRlimits: { nofile: { soft: 1024, hard: 524288 }, core: { soft: 0, hard: RLIM_INFINITY } },
  }));
  assert.deepEqual(s.process.rlimits, [
    { type: 'RLIMIT_NOFILE', hard: 524288n, soft: 524288n },
    { type: 'RLIMIT_NPROC', hard: 200n, soft: 100n },
    { type: 'RLIMIT_CORE', hard: RLIM_INFINITY, soft: RLIM_INFINITY },
  ]);
  const json = specToJSON(s);
  assert.match(json, /"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615/);
  assert.doesNotThrow(() => JSON.parse(json));
  assert.throws(() => generateSpec(base({ ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] })), invalid(/invalid ulimit type: bogus/));
  assert.throws(() => generateSpec(base({ ulimits: [{ Name: 'nofile', Soft: 2, Hard: 1 }] })), invalid(/soft limit/));
});

test('resources', () => {
  const s = generateSpec(base({ resources: { Memory: 1 << 30, MemorySwap: -1, NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0-1', PidsLimit: 100, BlkioWeight: 300 } }));
  const r = s.linux.resources;
  assert.deepEqual(r?.memory, { limit: 1 << 30 }); // swap -1 (unlimited) needs nothing on a new cgroup
  assert.deepEqual(r?.cpu, { shares: 512, period: 100000, quota: 150000, cpus: '0-1' });
  assert.deepEqual(r?.pids, { limit: 100 });
  assert.deepEqual(r?.blockIO, { weight: 300 });
  const q = generateSpec(base({ resources: { CpuPeriod: 50000, CpuQuota: 25000, PidsLimit: -1 } })).linux.resources;
  assert.deepEqual(q?.cpu, { period: 50000, quota: 25000 });
  assert.deepEqual(q?.pids, { limit: -1 });
  assert.equal(q?.memory, undefined);
});

test('sysctls must be namespaced and not shared with the host', () => {
  const s = generateSpec(base({ sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100' } }));
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100' });
  assert.throws(() => generateSpec(base({ namespaces: { net: { mode: 'host' } }, sysctls: { 'net.ipv4.ip_forward': '1' } })), invalid(/not allowed in host network namespace/));
  assert.throws(() => generateSpec(base({ sysctls: { 'vm.swappiness': '1' } })), invalid(/not in a separate kernel namespace/));
});

test('bad input', () => {
  assert.throws(() => generateSpec(base({ rootfs: 'relative' })), invalid(/absolute/));
  assert.throws(() => generateSpec(base({ args: [] })), invalid(/No command specified/));
  assert.throws(() => generateSpec(base({ binds: [{ source: '/a', destination: 'rel' }] })), invalid(/must be absolute/));
});
