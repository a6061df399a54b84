/**
 * Namespace modes and per-container kernel settings through a real berthd and the docker CLI, checked
 * in the kernel: --pid/--ipc/--uts modes by the namespace links of /proc, /dev/shm by the mount table
 * inside and (for shareable IPC) on the host, --ulimit by the shell's limits, --sysctl by /proc/sys,
 * --device and --device-cgroup-rule by the node in /dev and the device cgroup; -u/--group-add by `id`.
 * Bad values get Docker's errors at create and leave nothing behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxDaemon, runCmd, TestDaemon, waitFor } from './harness.js';
import { cgroupParent } from '../src/daemon/config.js';

const t = busyboxDaemon();
const run = (args: string[]) => t.d.docker(['run', '--rm', '--network', 'none', ...args]);
const ok = (args: string[]) => t.d.dockerOk(args);
const inspect = async (ref: string) => JSON.parse(await ok(['inspect', ref]))[0];
const hostNs = (kind: string) => readlinkSync(`/proc/self/ns/${kind}`);
/** host mount points under this daemon's data root that hold a container's /dev/shm */
const shmMounts = () => readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '')
  .filter((m) => m.startsWith(`${t.d.dataRoot}/`) && m.endsWith('/mounts/shm'));

/** The create is refused with `text` and no container is left. */
async function refused(args: string[], text: RegExp): Promise<void> {
  const before = await ok(['ps', '-aq']);
  const r = await t.d.docker(args);
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, text);
  assert.equal(await ok(['ps', '-aq']), before);
}


test('--pid host sees the host\'s processes; --pid container:x joins x; a stopped donor is refused', async () => {
  const own = await run(['busybox', 'readlink', '/proc/self/ns/pid']);
  assert.notEqual(own.stdout.trim(), hostNs('pid'));
  const host = await run(['--pid', 'host', 'busybox', 'sh', '-c', `readlink /proc/self/ns/pid; test -d /proc/${process.pid} && echo sees-test-runner`]);
  assert.equal(host.stdout, `${hostNs('pid')}\nsees-test-runner\n`, host.stderr);

  await ok(['run', '-d', '--name', 'piddonor', '--network', 'none', 'busybox', 'sleep', '300']);
  const donorNs = await ok(['exec', 'piddonor', 'readlink', '/proc/self/ns/pid']);
  const j = await run(['--pid', 'container:piddonor', 'busybox', 'sh', '-c', 'readlink /proc/self/ns/pid; ps -o pid,args']);
  assert.equal(j.code, 0, j.stderr);
  assert.equal(j.stdout.split('\n')[0], donorNs);
  assert.match(j.stdout, /^\s*1 sleep 300$/m);
  const id = (await inspect('piddonor')).Id;
  await ok(['create', '--name', 'pidjoiner', '--pid', 'container:piddonor', 'busybox', 'true']);
  assert.equal((await inspect('pidjoiner')).HostConfig.PidMode, `container:${id}`);
  await ok(['stop', '-t', '0', 'piddonor']);
  const r = await t.d.docker(['start', 'pidjoiner']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`failed to join PID namespace: container ${id} is not running`));
  await ok(['rm', '-f', 'piddonor', 'pidjoiner']);
});

test('IPC private (default), none and host; --shm-size sets the /dev/shm tmpfs', async () => {
  const def = await run(['busybox', 'sh', '-c', 'readlink /proc/self/ns/ipc; grep " /dev/shm " /proc/mounts']);
  const [ns, shm] = def.stdout.trim().split('\n');
  assert.notEqual(ns, hostNs('ipc'));
  assert.match(shm!, /^shm \/dev\/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k\b/);
  const sized = await run(['--shm-size', '8m', 'busybox', 'sh', '-c', 'df -k /dev/shm | tail -1']);
  assert.match(sized.stdout, /^shm\s+8192\s/, sized.stderr);
  const none = await run(['--ipc', 'none', 'busybox', 'sh', '-c', 'readlink /proc/self/ns/ipc; grep -c " /dev/shm " /proc/mounts || true']);
  const [noneNs, count] = none.stdout.trim().split('\n');
  assert.notEqual(noneNs, hostNs('ipc'));
  assert.equal(count, '0');
  const host = await run(['--ipc', 'host', 'busybox', 'readlink', '/proc/self/ns/ipc']);
  assert.equal(host.stdout.trim(), hostNs('ipc'));
  await ok(['create', '--name', 'ipcdefaults', 'busybox', 'true']);
  const hc = (await inspect('ipcdefaults')).HostConfig;
  assert.deepEqual([hc.IpcMode, hc.PidMode, hc.UTSMode, hc.ShmSize], ['private', '', '', 67108864]);
  await ok(['rm', 'ipcdefaults']);
});

test('IPC shareable: joiners share the namespace (SysV and /dev/shm); the tmpfs goes away on stop and rm', async () => {
  await ok(['run', '-d', '--name', 'ipcdonor', '--network', 'none', '--ipc', 'shareable', '--shm-size', '4m', 'busybox', 'sh', '-c', 'echo from-donor > /dev/shm/f; sleep 300']);
  const donor = await inspect('ipcdonor');
  const mount = path.join(t.d.dataRoot, 'containers', donor.Id, 'mounts', 'shm');
  assert.deepEqual(shmMounts(), [mount]);
  assert.match(readFileSync('/proc/self/mounts', 'utf8'), new RegExp(`${mount} tmpfs rw,nosuid,nodev,noexec,relatime,size=4096k`));
  // a SysV segment made in the donor's namespace (by the host's ipcmk) is seen by the joiner only
  const mk = await runCmd('nsenter', ['-t', String(donor.State.Pid), '-i', 'ipcmk', '-M', '4096']);
  assert.equal(mk.code, 0, mk.stderr);
  const shmid = /(\d+)/.exec(mk.stdout)![1];
  const donorNs = await ok(['exec', 'ipcdonor', 'readlink', '/proc/self/ns/ipc']);
  const j = await run(['--ipc', 'container:ipcdonor', 'busybox', 'sh', '-c', 'readlink /proc/self/ns/ipc; cat /dev/shm/f; echo from-joiner > /dev/shm/g; awk \'NR>1{print $2}\' /proc/sysvipc/shm']);
  assert.equal(j.stdout, `${donorNs}\nfrom-donor\n${shmid}\n`, j.stderr);
  assert.equal(await ok(['exec', 'ipcdonor', 'cat', '/dev/shm/g']), 'from-joiner');
  const other = await run(['busybox', 'sh', '-c', 'awk \'NR>1{print $2}\' /proc/sysvipc/shm | wc -l']);
  assert.equal(other.stdout.trim(), '0');

  await ok(['stop', '-t', '0', 'ipcdonor']);
  assert.deepEqual(shmMounts(), []);
  await ok(['start', 'ipcdonor']);
  assert.deepEqual(shmMounts(), [mount]);
  await ok(['rm', '-f', 'ipcdonor']);
  assert.deepEqual(shmMounts(), []);
  assert.equal(existsSync(path.join(t.d.dataRoot, 'containers', donor.Id)), false);
});

test('daemon.json default-ipc-mode and default-shm-size apply where the create leaves them out', async () => {
  const d2 = await TestDaemon.create({ 'default-ipc-mode': 'shareable', 'default-shm-size': '16M' });
  try {
    await d2.importBusybox();
    const go = (args: string[]) => d2.dockerOk(args);
    await go(['run', '-d', '--name', 'bydefault', '--network', 'none', 'busybox', 'sh', '-c', 'echo shared > /dev/shm/f; sleep 300']);
    const hc = JSON.parse(await go(['inspect', 'bydefault']))[0].HostConfig;
    assert.deepEqual([hc.IpcMode, hc.ShmSize], ['shareable', 16 << 20]);
    assert.match(await go(['exec', 'bydefault', 'df', '-k', '/dev/shm']), /\n\S+\s+16384\s/);
    // shareable: the daemon mounted the tmpfs on the host, and another container can join it
    assert.ok(readFileSync('/proc/self/mounts', 'utf8').includes(`${d2.dataRoot}/containers/`), 'shareable /dev/shm mounted by the daemon');
    assert.equal(await go(['run', '--rm', '--network', 'none', '--ipc', 'container:bydefault', 'busybox', 'cat', '/dev/shm/f']), 'shared');
    // what a create gives explicitly wins
    await go(['create', '--name', 'explicit', '--ipc', 'private', '--shm-size', '2m', 'busybox', 'true']);
    const ex = JSON.parse(await go(['inspect', 'explicit']))[0].HostConfig;
    assert.deepEqual([ex.IpcMode, ex.ShmSize], ['private', 2 << 20]);
  } finally {
    await d2.stop();
  }
});

test('joining a private or stopped container\'s IPC: Docker\'s errors, nothing left running or mounted', async () => {
  await ok(['run', '-d', '--name', 'ipcpriv', '--network', 'none', 'busybox', 'sleep', '300']);
  const id = (await inspect('ipcpriv')).Id;
  const r = await run(['--ipc', 'container:ipcpriv', 'busybox', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`failed to join IPC namespace: container ${id}: non-shareable IPC \\(hint: use IpcMode:shareable for the donor container\\)`));
  await ok(['run', '-d', '--name', 'ipcgone', '--network', 'none', '--ipc', 'shareable', 'busybox', 'sleep', '300']);
  const gone = (await inspect('ipcgone')).Id;
  await ok(['create', '--name', 'ipclate', '--network', 'none', '--ipc', 'container:ipcgone', 'busybox', 'true']);
  await ok(['stop', '-t', '0', 'ipcgone']);
  const late = await t.d.docker(['start', 'ipclate']);
  assert.match(late.stderr, new RegExp(`failed to join IPC namespace: container ${gone} is not running`));
  assert.equal((await inspect('ipclate')).State.Running, false);
  assert.deepEqual(shmMounts(), []);
  await ok(['rm', '-f', 'ipcpriv', 'ipcgone', 'ipclate']);
});

test('a shareable /dev/shm left mounted by a daemon crash is unmounted at the next start', async () => {
  await ok(['run', '-d', '--name', 'crashshm', '--network', 'none', '--ipc', 'shareable', 'busybox', 'sleep', '300']);
  const c = await inspect('crashshm');
  // and one whose start was cut short after its tmpfs was mounted (made here as the daemon would have)
  const mid = await inspect(await ok(['create', '--name', 'crashmid', '--network', 'none', '--ipc', 'shareable', 'busybox', 'true']));
  const midShm = path.join(t.d.dataRoot, 'containers', mid.Id, 'mounts', 'shm');
  await t.d.halt('SIGKILL');
  process.kill(c.State.Pid, 'SIGKILL');
  await waitFor(async () => !existsSync(`/proc/${c.State.Pid}`), 5000, 'container exit');
  await runCmd('mkdir', ['-p', midShm]);
  assert.equal((await runCmd('mount', ['-t', 'tmpfs', 'shm', midShm])).code, 0);
  assert.equal(shmMounts().length, 2);
  await t.d.start();
  assert.deepEqual(shmMounts(), []);
  assert.equal((await inspect('crashshm')).State.Running, false);
  await ok(['rm', 'crashshm', 'crashmid']);
});

test('--uts host: the host\'s hostname and namespace; --hostname with it is refused', async () => {
  const r = await run(['--uts', 'host', 'busybox', 'sh', '-c', 'hostname; readlink /proc/self/ns/uts']);
  assert.equal(r.stdout, `${os.hostname()}\n${hostNs('uts')}\n`, r.stderr);
  await refused(['create', '--uts', 'host', '--hostname', 'web', 'busybox'], /conflicting options: hostname and the UTS mode/);
});

test('--ulimit reaches the process; Docker\'s errors; a hard limit above the daemon\'s is lowered with a warning', async () => {
  const r = await run(['--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=100:200', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu']);
  assert.equal(r.stdout, '1024\n2048\n100\n200\n', r.stderr);
  await refused(['create', '--ulimit', 'nofile=2048:1024', 'busybox'], /ulimit soft limit must be less than or equal to hard limit: 2048 > 1024/);
  await refused(['create', '--ulimit', 'nofiles=1', 'busybox'], /invalid ulimit type: nofiles/);
  const api = await t.d.request('POST', '/containers/create', { Image: 'busybox', HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] } });
  assert.equal(api.status, 400);
  assert.match(api.json().message, /ulimit soft limit must be less than or equal to hard limit: 10 > 5/);

  // the daemon (a child of this process) has this process's limits and capabilities
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]!;
  const capBnd = BigInt(`0x${/^CapBnd:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
  const sysResource = (capBnd >> 24n) & 1n;
  if (hard === 'unlimited' || sysResource === 1n) return;
  const above = String(Number(hard) + 1000);
  const w = await t.d.docker(['run', '--rm', '--network', 'none', '--ulimit', `nofile=${above}:${above}`, 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(w.stdout, `${hard}\n${hard}\n`);
  assert.match(w.stderr, new RegExp(`WARNING: ulimit nofile: the hard limit ${above} is above the daemon's own \\(${hard}\\)`));
});

test('--sysctl: namespaced values inside; net.* refused with --network host, IPC ones with --ipc host', async () => {
  const r = await t.d.docker(['run', '--rm', '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=123456', '--sysctl', 'fs.mqueue.msg_max=20', 'busybox',
    'cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/kernel/shmmax', '/proc/sys/fs/mqueue/msg_max']);
  assert.equal(r.stdout, '1\n123456\n20\n', r.stderr);
  await refused(['create', '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox'], /sysctl "net.ipv4.ip_forward" not allowed in host network namespace/);
  await refused(['create', '--ipc', 'host', '--sysctl', 'kernel.shmmax=1', 'busybox'], /sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace/);
  // the docker CLI refuses the others itself; the API answers with runc's text
  const api = await t.d.request('POST', '/containers/create', { Image: 'busybox', HostConfig: { Sysctls: { 'vm.swappiness': '1' } } });
  assert.equal(api.status, 400);
  assert.equal(api.json().message, 'sysctl "vm.swappiness" is not in a separate kernel namespace');
  const c = await ok(['create', '--sysctl', 'net.core.somaxconn=100', 'busybox']);
  assert.deepEqual((await inspect(c)).HostConfig.Sysctls, { 'net.core.somaxconn': '100' });
  await ok(['rm', c]);
});

test('--device makes the node and allows it in the device cgroup with its permissions; --device-cgroup-rule', async () => {
  const v1 = existsSync('/sys/fs/cgroup/devices');
  const devicesList = (id: string) => readFileSync(path.join('/sys/fs/cgroup/devices', cgroupParent(t.d.dataRoot), id, 'devices.list'), 'utf8');
  const id = await ok(['run', '-d', '--network', 'none', '--device', '/dev/fuse', '--device', '/dev/fuse:/dev/myfuse:r', '--device-cgroup-rule', 'b 7:* rw', 'busybox', 'sleep', '300']);
  assert.match(await ok(['exec', id, 'ls', '-l', '/dev/fuse']), /^crw-------\s+1 root\s+root\s+10,\s+229 .* \/dev\/fuse$/);
  assert.match(await ok(['exec', id, 'ls', '-l', '/dev/myfuse']), /^crw-------\s+1 root\s+root\s+10,\s+229 /);
  if (v1) {
    const list = devicesList(id).split('\n');
    assert.ok(list.includes('c 10:229 rwm'), list.join('|'));
    assert.ok(list.includes('b 7:* rw'), list.join('|'));
  }
  const hc = (await inspect(id)).HostConfig;
  assert.deepEqual(hc.Devices, [
    { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/fuse', PathInContainer: '/dev/myfuse', CgroupPermissions: 'r' },
  ]);
  assert.deepEqual(hc.DeviceCgroupRules, ['b 7:* rw']);
  await ok(['rm', '-f', id]);

  // read-only: the cgroup refuses opening it for writing (rw opens it, and fuse then refuses the write)
  const ro = await run(['--device', '/dev/fuse:/dev/fuse:r', 'busybox', 'sh', '-c', 'echo x > /dev/fuse']);
  assert.match(ro.stderr, /can't create \/dev\/fuse: Operation not permitted/);
  const rw = await run(['--device', '/dev/fuse:/dev/fuse:rw', 'busybox', 'sh', '-c', 'echo x > /dev/fuse']);
  assert.doesNotMatch(rw.stderr, /can't create/);
  assert.match(rw.stderr, /write error/);
  if (v1) {
    const r = await ok(['run', '-d', '--network', 'none', '--device', '/dev/fuse:/dev/fuse:r', 'busybox', 'sleep', '300']);
    assert.ok(devicesList(r).split('\n').includes('c 10:229 r'));
    await ok(['rm', '-f', r]);
  }
  await refused(['create', '--device', '/dev/berth-nonexistent', 'busybox'], /error gathering device information while adding custom device "\/dev\/berth-nonexistent": no such file or directory/);
  const api = await t.d.request('POST', '/containers/create', { Image: 'busybox', HostConfig: { DeviceCgroupRules: ['c 1:2'] } });
  assert.equal(api.status, 400);
  assert.equal(api.json().message, "invalid device cgroup rule format: 'c 1:2'");
});

test('-u uid:gid and --group-add set the ids; inspect shows the fields as given', async () => {
  const r = await run(['-u', '1000:1000', '--group-add', '50', '--group-add', 'audio', 'busybox', 'id']);
  assert.equal(r.code, 0, r.stderr);
  const m = /^uid=1000 gid=1000 groups=(.*)$/.exec(r.stdout.trim());
  assert.ok(m, r.stdout);
  assert.deepEqual(m[1]!.split(',').sort(), ['1000', '29(audio)', '50(staff)']); // Docker 20.10: groups=29(audio),50(staff),1000
  const named = await run(['-u', 'nobody', 'busybox', 'id', '-u']);
  assert.equal(named.stdout.trim(), '65534');
  const c = await ok(['create', '-u', '1000:1000', '--group-add', '50', '--ulimit', 'nofile=1024:2048', '--pid', 'host', '--uts', 'host', '--ipc', 'none', '--shm-size', '1m', 'busybox']);
  const hc = (await inspect(c)).HostConfig;
  assert.deepEqual([hc.PidMode, hc.UTSMode, hc.IpcMode, hc.ShmSize, hc.GroupAdd, hc.Ulimits],
    ['host', 'host', 'none', 1 << 20, ['50'], [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]]);
  assert.equal((await inspect(c)).Config.User, '1000:1000');
  await ok(['rm', c]);
});
