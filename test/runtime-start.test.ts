/**
 * Starting a created container through its exec.fifo, for both runtimes, with conmon and the runtime as
 * berthd runs them (crun through the mount-hiding helper on a hybrid cgroup host): runc's is read (as
 * `runc start` does), crun's is written (as `crun start` does). A wrapper in front of the runtime logs
 * each subcommand, so the tests see that no `start` ran, that the container's program really ran (its exit
 * code comes back through conmon), and that a container whose init died falls back to the runtime's own
 * `start`, which reports the error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { BUSYBOX_TAR, runCmd, waitFor } from './harness.js';
import { ConmonRuntime } from '../src/runtime/conmon/index.js';
import { lookPath } from '../src/runtime/lookpath.js';
import { cgroupLayout, invocation } from '../src/runtime/select.js';
import { nativeHelper } from '../src/host/native.js';

async function busyboxTar(): Promise<string> {
  if (!existsSync(BUSYBOX_TAR)) {
    const { buildBusyboxRootfs } = await import('../src/bootstrap/index.js');
    const tmp = `${BUSYBOX_TAR}.${process.pid}`;
    await buildBusyboxRootfs(createWriteStream(tmp));
    await fsp.rename(tmp, BUSYBOX_TAR);
  }
  return BUSYBOX_TAR;
}

interface Setup { dir: string; rt: ConmonRuntime; log: string; bundle(id: string, args: string[]): Promise<string>; cgroup: string }

async function setUp(runtime: 'runc' | 'crun'): Promise<Setup> {
  const dir = await fsp.mkdtemp('/tmp/bt-start-');
  const rootfs = path.join(dir, 'rootfs');
  await fsp.mkdir(rootfs);
  const tar = await runCmd('tar', ['-xf', await busyboxTar(), '-C', rootfs]);
  assert.equal(tar.code, 0, tar.stderr);
  const spec = await runCmd('runc', ['spec', '--bundle', dir]);
  assert.equal(spec.code, 0, spec.stderr);
  const base = JSON.parse(await fsp.readFile(path.join(dir, 'config.json'), 'utf8')) as Record<string, any>;
  const inv = invocation(lookPath(runtime), [], cgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8')), nativeHelper('berth-hide-mount-exec'));
  const log = path.join(dir, 'calls.log');
  const wrapper = path.join(dir, 'runtime.sh');
  const quoted = [inv.path, ...inv.args].map((a) => `'${a}'`).join(' ');
  await fsp.writeFile(wrapper, `#!/bin/sh\nfor a in "$@"; do case "$a" in create|start|delete|state|kill) echo "$a" >> '${log}'; break;; esac; done\nexec ${quoted} "$@"\n`, { mode: 0o755 });
  const cgroup = `/bt-start-${path.basename(dir).slice(9)}`;
  const rt = new ConmonRuntime({
    runtimePath: wrapper, stateRoot: path.join(dir, 'state'), exitDir: path.join(dir, 'exits'),
    startByFifo: runtime === 'runc' ? 'read' : 'write',
  });
  await rt.init();
  return {
    dir, rt, log, cgroup,
    async bundle(id, args) {
      const b = path.join(dir, id);
      await fsp.mkdir(b);
      const cfg = { ...base, root: { path: rootfs, readonly: true }, process: { ...base.process, terminal: false, args },
        linux: { ...base.linux, cgroupsPath: `${cgroup}/${id}` } };
      await fsp.writeFile(path.join(b, 'config.json'), JSON.stringify(cfg));
      return b;
    },
  };
}

async function tearDown(s: Setup, ids: string[]): Promise<void> {
  for (const id of ids) await s.rt.delete(id).catch(() => undefined);
  for (const ctl of await fsp.readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    for (const id of ids) await fsp.rmdir(path.join('/sys/fs/cgroup', ctl, s.cgroup, id)).catch(() => undefined);
    await fsp.rmdir(path.join('/sys/fs/cgroup', ctl, s.cgroup)).catch(() => undefined);
  }
  await fsp.rm(s.dir, { recursive: true, force: true });
}

const calls = async (s: Setup) => (await fsp.readFile(s.log, 'utf8').catch(() => '')).split('\n').filter(Boolean);

for (const runtime of ['runc', 'crun'] as const) {
  test(`${runtime}: a created container starts through its exec.fifo, without \`${runtime} start\``, async () => {
    const s = await setUp(runtime);
    try {
      const bundle = await s.bundle('c1', ['sh', '-c', 'exit 7']);
      await s.rt.create({ id: 'c1', bundle, tty: false, stdin: false, logPath: path.join(bundle, 'log'), leaveStdinOpen: false });
      assert.ok(existsSync(path.join(s.dir, 'state', 'c1', 'exec.fifo')), 'the runtime keeps exec.fifo in its state dir');
      await s.rt.start('c1');
      const code = await waitFor(() => s.rt.takeExit('c1').then((c) => (c === undefined ? undefined : { c })), 15000, 'the exit file');
      assert.equal(code.c, 7, 'the program ran and its exit code came back');
      assert.deepEqual(await calls(s), ['create'], `only \`${runtime} create\` ran`);
      assert.ok(!existsSync(path.join(s.dir, 'state', 'c1', 'exec.fifo')), 'the fifo is gone, as after the runtime\'s start');
    } finally {
      await tearDown(s, ['c1']);
    }
  });

  test(`${runtime}: a container whose init died falls back to \`${runtime} start\`, which reports it`, async () => {
    const s = await setUp(runtime);
    try {
      const bundle = await s.bundle('c2', ['true']);
      const pid = await s.rt.create({ id: 'c2', bundle, tty: false, stdin: false, logPath: path.join(bundle, 'log'), leaveStdinOpen: false });
      process.kill(pid, 'SIGKILL');
      await waitFor(async () => !existsSync(`/proc/${pid}/status`) || /State:\s+Z/.test(await fsp.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')), 10000, 'the init to die');
      await assert.rejects(s.rt.start('c2'));
      assert.deepEqual(await calls(s), ['create', 'start']);
    } finally {
      await tearDown(s, ['c2']);
    }
  });
}
