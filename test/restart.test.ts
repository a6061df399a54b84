/**
 * Restart policies and pause through a real berthd and the docker CLI: on-failure stops after its
 * retries, always restarts a crash loop with backoff until `docker stop`, the policies are honoured when
 * the daemon starts again (Docker's rules for always / unless-stopped / on-failure), and pause freezes
 * the container's processes in the kernel's freezer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { busyboxDaemon, waitFor } from './harness.js';
import { cgroupParent } from '../src/daemon/config.js';
import { fileDir, resolveCgroup } from '../src/runtime/cgroups/index.js';

const t = busyboxDaemon();
const run = (args: string[]) => t.d.docker(['run', '--network', 'none', ...args]);


async function state(name: string): Promise<{ Status: string; ExitCode: number; Restarting: boolean; Running: boolean; Pid: number; RestartCount: number }> {
  const r = await t.d.docker(['inspect', '-f', '{{json .State}}|{{.RestartCount}}', name]);
  assert.equal(r.code, 0, r.stderr);
  const [st, count] = r.stdout.trim().split('|');
  return { ...JSON.parse(st), RestartCount: Number(count) };
}

test('on-failure:2 restarts a failing container twice, then leaves it exited', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const c = await run(['-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']);
  assert.equal(c.code, 0, c.stderr);
  await waitFor(async () => {
    const s = await state('flaky');
    return s.Status === 'exited' && s.RestartCount === 2;
  }, 15000);
  const s = await state('flaky');
  assert.equal(s.ExitCode, 3);
  const ev = await t.d.docker(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000)), '--filter', 'container=flaky', '--format', '{{.Action}}']);
  const actions = ev.stdout.trim().split('\n');
  assert.equal(actions.filter((a) => a === 'start').length, 3, ev.stdout);
  assert.equal(actions.filter((a) => a === 'die').length, 3, ev.stdout);
  // a success is not a failure: no restart
  assert.equal((await run(['-d', '--name', 'fine', '--restart', 'on-failure', 'busybox', 'true'])).code, 0);
  await waitFor(async () => (await state('fine')).Status === 'exited', 10000);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await state('fine')).RestartCount, 0);
});

test('always restarts a crash loop with growing delays, shown as Restarting, until docker stop', async () => {
  const c = await run(['-d', '--name', 'loop', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 1']);
  assert.equal(c.code, 0, c.stderr);
  await waitFor(async () => (await state('loop')).RestartCount >= 4, 15000);
  // the loop backs off: 100, 200, 400, 800 ms ... so it is mostly waiting, as "restarting"
  await waitFor(async () => (await state('loop')).Status === 'restarting', 10000);
  const ps = await t.d.docker(['ps', '--filter', 'name=loop', '--format', '{{.Status}}']);
  assert.match(ps.stdout, /^Restarting \(1\) /m);
  // the daemon keeps serving others meanwhile
  const ok = await run(['--rm', 'busybox', 'echo', 'alive']);
  assert.equal(ok.stdout.trim(), 'alive');
  const stop = await t.d.docker(['stop', 'loop']);
  assert.equal(stop.code, 0, stop.stderr);
  const n = (await state('loop')).RestartCount;
  await new Promise((r) => setTimeout(r, 2500));
  const after = await state('loop');
  assert.equal(after.Status, 'exited');
  assert.equal(after.RestartCount, n, 'no restart after docker stop');
  // a manual start begins a new series: the count is reset
  assert.equal((await t.d.docker(['start', 'loop'])).code, 0);
  assert.ok((await state('loop')).RestartCount <= 1);
  assert.equal((await t.d.docker(['rm', '-f', 'loop'])).code, 0);
});

test('a long-running always container that is killed comes back; docker kill with SIGKILL is a stop', async () => {
  assert.equal((await run(['-d', '--name', 'svc', '--restart', 'always', 'busybox', 'sleep', '300'])).code, 0);
  const pid1 = (await state('svc')).Pid;
  process.kill(pid1, 'SIGKILL'); // the container's own process dies, not through the API
  await waitFor(async () => { const s = await state('svc'); return s.Status === 'running' && s.Pid !== pid1; }, 10000);
  assert.equal((await state('svc')).RestartCount, 1);
  assert.equal((await t.d.docker(['kill', 'svc'])).code, 0);
  await waitFor(async () => (await state('svc')).Status === 'exited', 10000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await state('svc')).Status, 'exited');
  assert.equal((await t.d.docker(['rm', 'svc'])).code, 0);
});

test('bad policies get Docker errors and create nothing; docker update changes the policy', async () => {
  const before = (await t.d.docker(['ps', '-aq'])).stdout;
  const bad = await t.d.request('POST', '/containers/create?name=badpol', { Image: 'busybox', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } } });
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /maximum retry count can only be used with 'on-failure'/);
  const rm = await t.d.request('POST', '/containers/create?name=badpol', { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } });
  assert.equal(rm.status, 400);
  assert.match(rm.json().message, /can't create 'AutoRemove' container with restart policy/);
  const unknown = await run(['-d', '--restart', 'sometimes', 'busybox', 'true']);
  assert.notEqual(unknown.code, 0);
  assert.equal((await t.d.docker(['ps', '-aq'])).stdout, before);

  assert.equal((await run(['-d', '--name', 'upd', 'busybox', 'sh', '-c', 'sleep 1; exit 2'])).code, 0);
  const u = await t.d.docker(['update', '--restart', 'on-failure:1', 'upd']);
  assert.equal(u.code, 0, u.stderr);
  await waitFor(async () => { const s = await state('upd'); return s.Status === 'exited' && s.RestartCount === 1; }, 15000);
  const pol = await t.d.docker(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'upd']);
  assert.equal(pol.stdout.trim(), 'on-failure:1');
  assert.equal((await t.d.docker(['rm', 'upd'])).code, 0);
});

test('a daemon restart honours the policies as Docker does', async () => {
  const mk = async (name: string, policy: string, cmd: string[]) => {
    const r = await run(['-d', '--name', name, '--restart', policy, 'busybox', ...cmd]);
    assert.equal(r.code, 0, r.stderr);
  };
  await mk('r-always', 'always', ['sleep', '300']);
  await mk('r-unless', 'unless-stopped', ['sleep', '300']);
  await mk('r-unless-crash', 'unless-stopped', ['sleep', '300']);
  await mk('r-fail', 'on-failure', ['sh', '-c', 'sleep 300']);
  await mk('r-none', 'no', ['sleep', '300']);
  // stopped by hand: always comes back with the daemon, unless-stopped does not
  assert.equal((await t.d.docker(['stop', '-t', '1', 'r-always', 'r-unless'])).code, 0);
  const victims = await Promise.all(['r-unless-crash', 'r-fail', 'r-none'].map(async (n) => (await state(n)).Pid));
  await t.d.halt('SIGTERM');
  // while the daemon is away their processes die
  for (const pid of victims) process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  await t.d.start();
  await waitFor(async () => (await state('r-always')).Status === 'running' && (await state('r-unless-crash')).Status === 'running' && (await state('r-fail')).Status === 'running', 15000);
  assert.equal((await state('r-unless')).Status, 'exited');
  const none = await state('r-none');
  assert.equal(none.Status, 'exited');
  assert.equal(none.ExitCode, 137);
  assert.equal((await t.d.docker(['rm', '-f', 'r-always', 'r-unless', 'r-unless-crash', 'r-fail', 'r-none'])).code, 0);
});

test('pause freezes the processes in the kernel; unpause thaws them; a paused container can be stopped', async () => {
  assert.equal((await run(['-d', '--name', 'pz', 'busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done'])).code, 0);
  const id = (await t.d.docker(['inspect', '-f', '{{.Id}}', 'pz'])).stdout.trim();
  const since = Math.floor(Date.now() / 1000) - 1;
  assert.equal((await t.d.docker(['pause', 'pz'])).code, 0);
  const paths = await resolveCgroup(`/${cgroupParent(t.d.dataRoot)}/${id}`);
  const frozen = paths.version === 1
    ? (await readFile(path.join(fileDir(paths, 'freezer.state')!, 'freezer.state'), 'utf8')).trim()
    : (await readFile(path.join(fileDir(paths, 'cgroup.freeze')!, 'cgroup.freeze'), 'utf8')).trim();
  assert.ok(frozen === 'FROZEN' || frozen === '1', frozen);
  const st = await state('pz');
  assert.equal(st.Status, 'paused');
  assert.match((await t.d.docker(['ps', '--filter', 'name=pz', '--format', '{{.Status}}'])).stdout, /\(Paused\)/);
  // top and stats still see a paused container's processes and cgroup
  assert.match((await t.d.docker(['top', 'pz'])).stdout, /sh -c i=0/);
  assert.match((await t.d.docker(['stats', '--no-stream', '--format', '{{.PIDs}}', 'pz'])).stdout, /^[1-9]\d*$/m);
  const again = await t.d.docker(['pause', 'pz']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /is already paused/);
  const ex = await t.d.docker(['exec', 'pz', 'true']);
  assert.notEqual(ex.code, 0);
  assert.match(ex.stderr, /is paused, unpause the container before exec/);
  assert.equal((await t.d.docker(['unpause', 'pz'])).code, 0);
  const n1 = Number((await t.d.docker(['exec', 'pz', 'cat', '/tmp/n'])).stdout);
  await waitFor(async () => Number((await t.d.docker(['exec', 'pz', 'cat', '/tmp/n'])).stdout) > n1, 5000);
  const un = await t.d.docker(['unpause', 'pz']);
  assert.match(un.stderr, /is not paused/);
  const ev = await t.d.docker(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000)), '--filter', 'container=pz', '--format', '{{.Action}}']);
  assert.deepEqual(ev.stdout.trim().split('\n').filter((a) => a === 'pause' || a === 'unpause'), ['pause', 'unpause']);
  // a paused container stops (the signal is delivered once thawed) and can be force-removed
  assert.equal((await t.d.docker(['pause', 'pz'])).code, 0);
  const stop = await t.d.docker(['stop', '-t', '1', 'pz']);
  assert.equal(stop.code, 0, stop.stderr);
  assert.equal((await state('pz')).Status, 'exited');
  assert.equal((await t.d.docker(['start', 'pz'])).code, 0);
  assert.equal((await t.d.berth(['pause', 'pz'])).code, 0);
  assert.equal((await state('pz')).Status, 'paused');
  const rm = await t.d.docker(['rm', '-f', 'pz']);
  assert.equal(rm.code, 0, rm.stderr);
});

test('berth run takes the same flags: --restart, --health-*, --ulimit, --sysctl, --pid, --ipc, --shm-size, --device-cgroup-rule', async () => {
  const r = await t.d.berth(['run', '-d', '--name', 'bflags', '--network', 'none', '--restart', 'on-failure:2',
    '--health-cmd', 'true', '--health-interval', '200ms', '--ulimit', 'nofile=1024:2048', '--sysctl', 'kernel.msgmax=65536',
    '--ipc', 'shareable', '--shm-size', '8m', '--device-cgroup-rule', 'c 10:229 rwm', 'busybox', 'sleep', '300']);
  assert.equal(r.code, 0, r.stderr);
  const hc = await t.d.docker(['inspect', '-f', '{{json .HostConfig.RestartPolicy}} {{.HostConfig.IpcMode}} {{.HostConfig.ShmSize}} {{json .HostConfig.DeviceCgroupRules}} {{json .HostConfig.Sysctls}}', 'bflags']);
  assert.equal(hc.stdout.trim(), '{"Name":"on-failure","MaximumRetryCount":2} shareable 8388608 ["c 10:229 rwm"] {"kernel.msgmax":"65536"}');
  const inside = await t.d.docker(['exec', 'bflags', 'sh', '-c', 'ulimit -n; ulimit -Hn; cat /proc/sys/kernel/msgmax']);
  assert.equal(inside.stdout, '1024\n2048\n65536\n');
  await waitFor(async () => (await t.d.docker(['inspect', '-f', '{{.State.Health.Status}}', 'bflags'])).stdout.trim() === 'healthy', 10000, 'healthy');
  const pid = await t.d.berth(['run', '--rm', '--pid', 'container:bflags', '--network', 'none', 'busybox', 'sh', '-c', 'ps -o comm | grep -c "^sleep$"']);
  assert.equal(pid.stdout.trim(), '1', pid.stderr);
  assert.equal((await t.d.berth(['rm', '-f', 'bflags'])).code, 0);
});

test('a daemon killed while a container waits for its restart: it restarts when the daemon is back, and no exit is made up for it', async () => {
  assert.equal((await run(['-d', '--name', 'crashy', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 3'])).code, 0);
  // after a few restarts the delay is long enough to catch it waiting
  await waitFor(async () => { const s = await state('crashy'); return s.RestartCount >= 4 && s.Status === 'restarting'; }, 15000, 'restarting');
  const before = await state('crashy');
  await t.d.halt('SIGKILL');
  const since = Math.floor(Date.now() / 1000) - 1;
  await t.d.start();
  await waitFor(async () => (await state('crashy')).RestartCount > before.RestartCount, 15000, 'restarted after the daemon came back');
  // it had no process to lose: no exit was made up for it (Docker's 255 for an unknown one)
  const ev = await t.d.docker(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000)), '--filter', 'container=crashy', '--filter', 'event=die', '--format', '{{.Actor.Attributes.exitCode}}']);
  const codes = ev.stdout.trim().split('\n').filter(Boolean);
  assert.ok(codes.length > 0 && codes.every((c) => c === '3'), ev.stdout);
  assert.equal((await t.d.docker(['rm', '-f', 'crashy'])).code, 0);
});
