import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, RLIM_INFINITY, checkSysctls, generateSpec, mergeTmpfsOptions, rlimitWarnings, specToJSON } from './generate.js';
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

test('sysctls must be namespaced and not shared with the host (runc\'s rules and texts)', () => {
  const s = generateSpec(base({ sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100', 'fs.mqueue.msg_max': '20', 'kernel.domainname': 'x' } }));
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100', 'fs.mqueue.msg_max': '20', 'kernel.domainname': 'x' });
  // another container's network namespace is not the host's
  assert.doesNotThrow(() => generateSpec(base({ namespaces: { net: { mode: 'path', path: '/proc/1/ns/net' } }, sysctls: { 'net.core.somaxconn': '1' } })));
  assert.throws(() => generateSpec(base({ namespaces: { net: { mode: 'host' } }, sysctls: { 'net.ipv4.ip_forward': '1' } })), invalid(/^sysctl "net.ipv4.ip_forward" not allowed in host network namespace$/));
  assert.throws(() => generateSpec(base({ namespaces: { ipc: { mode: 'host' } }, sysctls: { 'kernel.sem': '1 2 3 4' } })), invalid(/^sysctl "kernel.sem" is not allowed in the hosts ipc namespace$/));
  assert.throws(() => generateSpec(base({ namespaces: { ipc: { mode: 'host' } }, sysctls: { 'fs.mqueue.queues_max': '1' } })), invalid(/hosts ipc namespace/));
  assert.throws(() => generateSpec(base({ sysctls: { 'vm.swappiness': '1' } })), invalid(/^sysctl "vm.swappiness" is not in a separate kernel namespace$/));
  assert.throws(() => generateSpec(base({ sysctls: { 'kernel.hostname': 'x' } })), invalid(/^sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field$/));
  assert.throws(() => checkSysctls({ 'kernel.domainname': 'x' }, { net: true, ipc: true, uts: false }), invalid(/not in a separate kernel namespace/));
  assert.doesNotThrow(() => checkSysctls({ 'kernel.msgmax': '1', 'net.ipv4.ip_forward': '1' }, { net: true, ipc: true, uts: false }));
});

test('devices: extra nodes and their cgroup rules after Docker\'s defaults; privileged allows all', () => {
  const fuse = { type: 'c' as const, path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 };
  const rules = [{ allow: true, type: 'c' as const, major: 10, minor: 229, access: 'r' }, { allow: true, type: 'b' as const, major: 7, access: 'rw' }];
  const s = generateSpec(base({ devices: [fuse, { ...fuse, path: '/dev/null', minor: 3 }], deviceRules: rules }));
  assert.deepEqual(s.linux.devices?.map((d) => d.path), ['/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/fuse', '/dev/null']);
  assert.deepEqual(s.linux.resources?.devices?.slice(-3), [{ allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }, ...rules]);
  const p = generateSpec(base({ privileged: true, devices: [fuse], deviceRules: rules }));
  assert.deepEqual(p.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(p.linux.devices?.some((d) => d.path === '/dev/fuse'));
});

test('rlimitWarnings names each limit lowered to the daemon\'s hard limit', () => {
  const host = { nofile: { soft: 1024, hard: 20000 }, nproc: { soft: 10, hard: RLIM_INFINITY } };
  assert.deepEqual(rlimitWarnings([{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'nproc', Soft: 5, Hard: 1e9 }], host), []);
  const w = rlimitWarnings([{ Name: 'NOFILE', Soft: 100000, Hard: 100000 }], host);
  assert.equal(w.length, 1);
  assert.match(w[0]!, /^ulimit nofile: the hard limit 100000 is above the daemon's own \(20000\)/);
  assert.deepEqual(rlimitWarnings([{ Name: 'nofile', Soft: 100000, Hard: 100000 }], {}), []);
});

test('bad input', () => {
  assert.throws(() => generateSpec(base({ rootfs: 'relative' })), invalid(/absolute/));
  assert.throws(() => generateSpec(base({ args: [] })), invalid(/No command specified/));
  assert.throws(() => generateSpec(base({ binds: [{ source: '/a', destination: 'rel' }] })), invalid(/must be absolute/));
});

test('userns-remap: a user namespace with the id maps, or joined by path', () => {
  const uidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }];
  const gidMappings = [{ containerID: 0, hostID: 500000, size: 1000 }, { containerID: 1000, hostID: 700000, size: 64536 }];
  const s = generateSpec(base({ userns: { uidMappings, gidMappings } }));
  assert.deepEqual(s.linux.namespaces.at(-1), { type: 'user' });
  assert.equal(s.linux.namespaces.filter((n) => n.type === 'user').length, 1);
  assert.deepEqual(s.linux.uidMappings, uidMappings);
  assert.deepEqual(s.linux.gidMappings, gidMappings);
  // ids inside the container stay as they are: root is uid 0 in the namespace
  assert.deepEqual(s.process.user, { uid: 0, gid: 0 });
  const joined = generateSpec(base({ namespaces: { net: { mode: 'path', path: '/proc/42/ns/net' } }, userns: { uidMappings, gidMappings, path: '/proc/42/ns/user' } }));
  assert.deepEqual(joined.linux.namespaces.filter((n) => n.type === 'user'), [{ type: 'user', path: '/proc/42/ns/user' }]);
  assert.deepEqual(joined.linux.uidMappings, uidMappings);
  const plain = generateSpec(base());
  assert.equal(nsTypes(plain).includes('user'), false);
  assert.equal(plain.linux.uidMappings, undefined);
  assert.equal(plain.linux.gidMappings, undefined);
  assert.match(specToJSON(s), /"uidMappings":\[\{"containerID":0,"hostID":400000,"size":65536\}\]/);
});
