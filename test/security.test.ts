/**
 * Security defaults through a real berthd and the docker CLI: a default container cannot load a kernel
 * module, mount a file system, create namespaces or see the host's processes; the seccomp filter is the
 * one that blocks unshare even when the kernel would allow it; --privileged, --cap-add/--cap-drop,
 * no-new-privileges and seccomp=unconfined change exactly that; bad options are refused before anything
 * is created.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyboxDaemon } from './harness.js';

const t = busyboxDaemon();
const run = (args: string[]) => t.d.docker(['run', '--rm', '--network', 'none', ...args]);


test('a default container: no module loading, no mounts, no new namespaces, no host processes', async () => {
  const r = await run(['busybox', 'sh', '-c', [
    'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status',
    'insmod /nonexistent.ko 2>/dev/null; echo insmod=$?',
    'mkdir -p /mnt; mount -t tmpfs x /mnt 2>/dev/null; echo mount=$?',
    'unshare -U true 2>/dev/null; echo unshare=$?',
    'ps -o pid | tail -n +2 | wc -l',
  ].join('; ')]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^Seccomp:\t2$/m);
  assert.match(out, /^NoNewPrivs:\t0$/m);
  assert.match(out, /^insmod=[1-9]\d*$/m);
  assert.match(out, /^mount=[1-9]\d*$/m);
  assert.match(out, /^unshare=[1-9]\d*$/m);
  // only the shell, ps, tail and wc: nothing of the host
  const procs = Number(out.trim().split('\n').at(-1));
  assert.ok(procs >= 1 && procs <= 4, out);
  // the kernel module syscalls are refused by the filter itself (EPERM), not by a missing file
  const mod = await run(['busybox', 'sh', '-c', 'head -c 4096 /dev/zero > /m.ko; insmod /m.ko']);
  assert.match(mod.stderr, /Operation not permitted|not permitted/);
});

test('seccomp is what blocks unshare; unconfined and --privileged lift it; capabilities follow --cap-add/--cap-drop', async () => {
  const unconfined = await run(['--security-opt', 'seccomp=unconfined', 'busybox', 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; unshare -U true; echo unshare=$?']);
  assert.equal(unconfined.stdout, 'Seccomp:\t0\nunshare=0\n', unconfined.stderr);
  const priv = await run(['--privileged', 'busybox', 'sh', '-c', 'mkdir -p /mnt && mount -t tmpfs x /mnt && echo mounted; grep "^Seccomp:" /proc/self/status']);
  assert.equal(priv.stdout, 'mounted\nSeccomp:\t0\n', priv.stderr);
  const add = await run(['--cap-add', 'sys_admin', 'busybox', 'sh', '-c', 'mkdir -p /mnt && mount -t tmpfs x /mnt && echo mounted']);
  assert.equal(add.stdout, 'mounted\n', add.stderr);
  const drop = await run(['--cap-drop', 'ALL', '--cap-add', 'CHOWN', 'busybox', 'grep', '^CapEff:', '/proc/self/status']);
  assert.equal(drop.stdout, 'CapEff:\t0000000000000001\n');
  const nnp = await run(['--security-opt', 'no-new-privileges', 'busybox', 'grep', '^NoNewPrivs:', '/proc/self/status']);
  assert.equal(nnp.stdout, 'NoNewPrivs:\t1\n');
});

test('an unknown capability or security option is refused and nothing is created', async () => {
  const before = (await t.d.docker(['ps', '-aq'])).stdout;
  const cap = await t.d.docker(['create', '--cap-add', 'FOO', 'busybox']);
  assert.notEqual(cap.code, 0);
  assert.match(cap.stderr, /invalid CapAdd: unknown capability: "CAP_FOO"/);
  const opt = await t.d.docker(['create', '--security-opt', 'bogus=1', 'busybox']);
  assert.notEqual(opt.code, 0);
  assert.match(opt.stderr, /invalid --security-opt/);
  assert.equal((await t.d.docker(['ps', '-aq'])).stdout, before);
});

test('--init: tini is PID 1, forwards SIGTERM (a fast stop) and reaps orphans', async () => {
  const ps = await run(['--init', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; (sleep 0.1 &) ; sleep 0.5; ps -o stat,comm | grep -c "^Z" || true']);
  assert.equal(ps.code, 0, ps.stderr);
  const [cmdline, zombies] = ps.stdout.trim().split('\n');
  assert.match(cmdline!, /^\/sbin\/docker-init -- sh -c /);
  assert.equal(zombies, '0');
  // sleep as PID 1 ignores SIGTERM (docker stop waits out its timeout); under tini it gets it and exits
  const c = await t.d.docker(['run', '-d', '--network', 'none', '--init', 'busybox', 'sleep', '300']);
  assert.equal(c.code, 0, c.stderr);
  const started = Date.now();
  assert.equal((await t.d.docker(['stop', '-t', '20', c.stdout.trim()])).code, 0);
  assert.ok(Date.now() - started < 8000, `stop took ${Date.now() - started} ms`);
  assert.equal((await t.d.docker(['inspect', '-f', '{{.State.ExitCode}}', c.stdout.trim()])).stdout.trim(), '143');
  await t.d.docker(['rm', c.stdout.trim()]);
});

test('the process\'s groups are Docker\'s: the primary group first, then memberships and --group-add, on crun and runc', async () => {
  // the expected lines are Docker 20.10's (runc) for the same runs of busybox
  const cases: [string[], string][] = [
    [['--user', 'nobody'], 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup) | 65534'],
    [['--user', '1234'], 'uid=1234 gid=0(root) groups=0(root) | 0'],
    [[], 'uid=0(root) gid=0(root) groups=0(root),10(wheel) | 0 10'],
    [['--user', 'nobody:daemon'], 'uid=65534(nobody) gid=1(daemon) groups=1(daemon) | 1'],
  ];
  for (const runtime of ['crun', 'runc']) {
    for (const [args, want] of cases) {
      const r = await run(['--runtime', runtime, ...args, 'busybox', 'sh', '-c', 'echo "$(id) |" $(grep Groups /proc/self/status | cut -f2)']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), want, `${runtime} ${args.join(' ')}`);
    }
  }
});
