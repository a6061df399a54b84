/**
 * Resource limits through a real berthd and the docker CLI, checked in the kernel: the container's cgroup
 * files hold the limits, a memory hog is OOM-killed (State.OOMKilled), a fork bomb stops at --pids-limit,
 * `docker update` changes limits live, `docker stats` reads the cgroup, and Docker's errors refuse bad
 * values before anything is created. Works on cgroup v1 (this machine) and v2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { busyboxDaemon } from './harness.js';
import { cgroupParent } from '../src/daemon/config.js';
import { fileDir, resolveCgroup } from '../src/runtime/cgroups/index.js';

const t = busyboxDaemon();
const run = (args: string[]) => t.d.docker(['run', '--network', 'none', ...args]);


/** A cgroup file of a running container by its v1 name, read from the v2 equivalent on v2 hosts. */
async function cgroupValue(id: string, v1: string, v2: string): Promise<string> {
  const paths = await resolveCgroup(`/${cgroupParent(t.d.dataRoot)}/${id}`);
  const file = paths.version === 1 ? v1 : v2;
  return (await readFile(path.join(fileDir(paths, file)!, file), 'utf8')).trim();
}

test('limits reach the cgroup; docker update changes them live; docker stats reads them', async () => {
  const c = await run(['-d', '--name', 'limited', '-m', '64m', '--cpus', '0.5', '--pids-limit', '20', 'busybox', 'sleep', '300']);
  assert.equal(c.code, 0, c.stderr);
  const id = c.stdout.trim();
  assert.equal(await cgroupValue(id, 'memory.limit_in_bytes', 'memory.max'), String(64 << 20));
  assert.match(await cgroupValue(id, 'cpu.cfs_quota_us', 'cpu.max'), /^50000( 100000)?$/);
  assert.equal(await cgroupValue(id, 'pids.max', 'pids.max'), '20');
  const st = await t.d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', 'limited']);
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /^limited [\d.]+[KMk]i?B \/ 64MiB 1\n$/);
  const up = await t.d.docker(['update', '-m', '128m', '--memory-swap', '256m', '--pids-limit', '50', 'limited']);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(await cgroupValue(id, 'memory.limit_in_bytes', 'memory.max'), String(128 << 20));
  assert.equal(await cgroupValue(id, 'pids.max', 'pids.max'), '50');
  const insp = await t.d.docker(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}', 'limited']);
  assert.equal(insp.stdout.trim(), `${128 << 20} ${256 << 20} 50`);
  const bad = await t.d.docker(['update', '-m', '512m', 'limited']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Memory limit should be smaller than already set memoryswap limit/);
  assert.equal((await t.d.docker(['rm', '-f', 'limited'])).code, 0);
});

test('a memory hog is OOM-killed and inspect says so; the daemon and other containers carry on', async () => {
  const other = await run(['-d', '--name', 'bystander', 'busybox', 'sleep', '300']);
  assert.equal(other.code, 0, other.stderr);
  const r = await run(['--name', 'hog', '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=a; while true; do x=$x$x; done']);
  assert.equal(r.code, 137);
  const st = await t.d.docker(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'hog']);
  assert.equal(st.stdout.trim(), 'true 137');
  assert.equal((await t.d.docker(['inspect', '-f', '{{.State.Status}}', 'bystander'])).stdout.trim(), 'running');
  await t.d.docker(['rm', '-f', 'hog', 'bystander']);
});

test('a fork bomb stops at --pids-limit', async () => {
  const r = await run(['--rm', '--pids-limit', '10', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 50 ]; do sleep 10 & i=$((i+1)); done; echo all-forked']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /can't fork/);
  assert.doesNotMatch(r.stdout, /all-forked/);
});

test('Docker\'s errors for bad limits, and nothing is created', async () => {
  const before = (await t.d.docker(['ps', '-aq'])).stdout;
  const low = await t.d.docker(['create', '-m', '1m', 'busybox']);
  assert.match(low.stderr, /Minimum memory limit allowed is 6MB/);
  const swap = await t.d.docker(['create', '-m', '64m', '--memory-swap', '32m', 'busybox']);
  assert.match(swap.stderr, /Minimum memoryswap limit should be larger than memory limit/);
  const cpus = await t.d.docker(['create', '--cpuset-cpus', '99', 'busybox']);
  assert.match(cpus.stderr, /Requested CPUs are not available/);
  assert.equal((await t.d.docker(['ps', '-aq'])).stdout, before);
});
