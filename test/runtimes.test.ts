/**
 * Runtimes as Docker has them, through a real berthd and the docker CLI: runc and crun side by side
 * (`--runtime`), a runtime from daemon.json with its runtimeArgs, docker info's Runtimes and DefaultRuntime,
 * Docker's error for an unknown runtime, containers that keep their runtime across a daemon restart, and the
 * default seccomp profile blocking on both runtimes what Docker's blocks, checked with raw syscalls through
 * the x86_64 and x32 entries (crun gets the filter precompiled by Berth, runc compiles it itself).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { busyboxDaemon, waitFor } from './harness.js';

const t = busyboxDaemon({ runtimes: { 'runc-json': { path: 'runc', runtimeArgs: ['--log-format=json'] } } });
const RUNTIMES = ['runc', 'crun'];
const FIXTURE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../test/fixtures/syscall-probe.c');
let built = '';

/** the probe, built static once into the test daemon's dir */
function probe(): string {
  if (!built) {
    built = path.join(t.d.dir, 'syscall-probe');
    execFileSync('cc', ['-static', '-O2', '-o', built, FIXTURE]);
  }
  return built;
}

test('docker info lists runc and crun, names the default and says why', async () => {
  const info = JSON.parse(await t.d.dockerOk(['info', '-f', '{{json .}}'])) as {
    DefaultRuntime: string; Runtimes: Record<string, { path: string; runtimeArgs?: string[]; status?: Record<string, string> }>;
  };
  assert.deepEqual(Object.keys(info.Runtimes).sort(), ['crun', 'runc', 'runc-json']);
  assert.equal(info.Runtimes.runc!.path, 'runc');
  assert.deepEqual(info.Runtimes['runc-json']!.runtimeArgs, ['--log-format=json']);
  const expectDefault = process.env.BERTH_TEST_RUNTIME ?? 'crun';
  assert.equal(info.DefaultRuntime, expectDefault);
  assert.ok(info.Runtimes[expectDefault]!.status?.['berth.default'], JSON.stringify(info.Runtimes[expectDefault]));
  const plain = await t.d.dockerOk(['info']);
  assert.match(plain, new RegExp(`Default Runtime: ${expectDefault}`));
});

test('an unknown runtime is refused with Docker\'s error and nothing is created', async () => {
  const before = await t.d.dockerOk(['ps', '-aq']);
  const r = await t.d.docker(['run', '--rm', '--runtime', 'nope', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /Unknown runtime specified nope/);
  assert.equal(await t.d.dockerOk(['ps', '-aq']), before);
});

test('each container runs on its runtime, which inspect shows; the default fills an empty one', async () => {
  for (const rt of [...RUNTIMES, 'runc-json']) {
    const out = await t.d.dockerOk(['run', '--rm', '--network', 'none', '--runtime', rt, 'busybox', 'echo', `hi from ${rt}`]);
    assert.equal(out, `hi from ${rt}`);
  }
  const id = await t.d.dockerOk(['create', 'busybox', 'true']);
  assert.equal(await t.d.dockerOk(['inspect', '-f', '{{.HostConfig.Runtime}}', id]), process.env.BERTH_TEST_RUNTIME ?? 'crun');
  await t.d.dockerOk(['rm', id]);
});

test('containers keep their runtime across a daemon restart: stop, exec and pause reach the right one', async () => {
  const ids: Record<string, string> = {};
  for (const rt of RUNTIMES) ids[rt] = await t.d.dockerOk(['run', '-d', '--network', 'none', '--runtime', rt, 'busybox', 'sleep', '1000']);
  // crun gets Docker's profile as a filter Berth compiled (runc compiles the profile itself)
  const specOf = (id: string) => JSON.parse(readFileSync(path.join(t.d.execRoot, 'c', id.slice(0, 24), 'config.json'), 'utf8')) as { annotations?: Record<string, string>; linux: { seccomp?: unknown } };
  const crunSpec = specOf(ids.crun!);
  assert.ok(crunSpec.annotations?.['run.oci.seccomp_bpf_data'] && !crunSpec.linux.seccomp);
  const runcSpec = specOf(ids.runc!);
  assert.ok(runcSpec.linux.seccomp && !runcSpec.annotations?.['run.oci.seccomp_bpf_data']);
  await t.d.halt('SIGTERM');
  await t.d.start();
  for (const rt of RUNTIMES) {
    const id = ids[rt]!;
    assert.equal(await t.d.dockerOk(['inspect', '-f', '{{.State.Status}} {{.HostConfig.Runtime}}', id]), `running ${rt}`);
    assert.equal(await t.d.dockerOk(['exec', id, 'echo', 'in']), 'in');
    await t.d.dockerOk(['pause', id]);
    assert.equal(await t.d.dockerOk(['inspect', '-f', '{{.State.Status}}', id]), 'paused');
    await t.d.dockerOk(['unpause', id]);
    await t.d.dockerOk(['rm', '-f', id]);
  }
  // crun's state goes (in the background, after the removal)
  await waitFor(async () => !existsSync(path.join(t.d.execRoot, 'crun', ids.crun!)), 10000, 'crun state removed');
});

// x86_64 numbers, and x32's (the same with bit 30 set)
const NR = { unshare: 272, keyctl: 250, mount: 165, getpid: 39, personality: 135 };
const CLONE_NEWUSER = 0x10000000;

for (const rt of RUNTIMES) {
  test(`${rt}: the default seccomp profile blocks what Docker's blocks, through the x86_64 and x32 entries`, async () => {
    const p = '/probe';
    const script = [
      'grep "^Seccomp:" /proc/self/status',
      `echo unshare=$(${p} x86_64 ${NR.unshare} ${CLONE_NEWUSER})`,
      `echo keyctl=$(${p} x86_64 ${NR.keyctl} 0)`,
      `echo mount=$(${p} x86_64 ${NR.mount} 0 0 0)`,
      `echo personality_ok=$(${p} x86_64 ${NR.personality} 0xffffffff)`,
      `echo personality_bad=$(${p} x86_64 ${NR.personality} 0x0040000)`,
      `echo x32_unshare=$(${p} x32 ${NR.unshare} ${CLONE_NEWUSER})`,
      `echo x32_getpid=$(${p} x32 ${NR.getpid})`,
      'unshare -U true 2>/dev/null; echo unshare_cmd=$?',
    ].join('; ');
    const args = ['run', '--rm', '--network', 'none', '--runtime', rt, '-v', `${probe()}:${p}:ro`];
    const out = await t.d.dockerOk([...args, 'busybox', 'sh', '-c', script]);
    const v = Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=') as [string, string]));
    assert.match(out, /^Seccomp:\t2$/m);
    // EPERM (-1) from the filter, not ENOSYS or EINVAL from the kernel
    assert.equal(v.unshare, '-1', out);
    assert.equal(v.keyctl, '-1', out);
    assert.equal(v.mount, '-1', out);
    assert.equal(v.personality_bad, '-1', out);
    assert.notEqual(v.personality_ok, '-1', out);
    assert.equal(v.x32_unshare, '-1', out);
    // allowed by the filter: what the kernel answers (ENOSYS where it has no x32 ABI), never EPERM
    assert.notEqual(v.x32_getpid, '-1', out);
    assert.notEqual(v.unshare_cmd, '0', out);
    // and it is the filter: unconfined, the same calls reach the kernel
    const free = await t.d.dockerOk([...args, '--security-opt', 'seccomp=unconfined', 'busybox', 'sh', '-c', script]);
    const f = Object.fromEntries(free.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=') as [string, string]));
    assert.match(free, /^Seccomp:\t0$/m);
    assert.equal(f.unshare, '0', free);
    assert.notEqual(f.x32_unshare, '-1', free);
  });
}
