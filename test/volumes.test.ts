/**
 * Volumes and mounts through a real berthd with the docker CLI: named volumes whose data outlives
 * containers, read-only mounts, anonymous volumes (removed with --rm / rm -v, kept otherwise), copy-up of
 * image content into a new volume, --volumes-from, bind mounts (-v creates the source, --mount refuses a
 * missing one), tmpfs sizes, in-use refusal, and volumes kept across a daemon restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { busyboxDaemon, runCmd } from './harness.js';

const t = busyboxDaemon();
const run = (args: string[]) => t.d.docker(['run', '--network', 'none', ...args]);


test('named volume: data survives the container; ro mounts refuse writes; in use cannot be removed', async () => {
  assert.equal((await t.d.docker(['volume', 'create', '--label', 'team=a', 'data1'])).code, 0);
  const w = await run(['--rm', '-v', 'data1:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
  assert.equal(w.code, 0, w.stderr);
  const r = await run(['--rm', '-v', 'data1:/data:ro', 'busybox', 'sh', '-c', 'cat /data/f; echo x > /data/g']);
  assert.equal(r.stdout, 'kept\n');
  assert.match(r.stderr, /Read-only file system/);
  const ls = await t.d.docker(['volume', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}} {{.Driver}}']);
  assert.equal(ls.stdout, 'data1 local\n');
  const c = await run(['-d', '--name', 'holder', '-v', 'data1:/data', 'busybox', 'sleep', '60']);
  assert.equal(c.code, 0, c.stderr);
  const busy = await t.d.docker(['volume', 'rm', 'data1']);
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, /volume is in use/);
  const insp = await t.d.docker(['inspect', '-f', '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}} {{.RW}}{{end}}', 'holder']);
  assert.equal(insp.stdout.trim(), 'volume data1 /data true');
  assert.equal((await t.d.docker(['rm', '-f', 'holder'])).code, 0);
  assert.equal((await t.d.docker(['volume', 'rm', 'data1'])).code, 0);
  const bad = await t.d.docker(['volume', 'create', 'a/b']);
  assert.match(bad.stderr, /includes invalid characters for a local volume name/);
});

test('anonymous volumes: removed with --rm and rm -v, kept by plain rm; a new volume gets the image content', async () => {
  const before = (await t.d.docker(['volume', 'ls', '-q'])).stdout;
  const rm = await run(['--rm', '-v', '/anon', 'busybox', 'sh', '-c', 'echo x > /anon/f']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal((await t.d.docker(['volume', 'ls', '-q'])).stdout, before);
  // the new volume over /etc is filled from the image first (copy-up)
  const c = await run(['--name', 'keeper', '-v', 'etcvol:/etc', 'busybox', 'ls', '/etc/nsswitch.conf']);
  assert.equal(c.stdout, '/etc/nsswitch.conf\n', c.stderr);
  const from = await run(['--rm', '--volumes-from', 'keeper:ro', 'busybox', 'sh', '-c', 'test -f /etc/nsswitch.conf && touch /etc/x']);
  assert.match(from.stderr, /Read-only file system/);
  assert.equal((await t.d.docker(['rm', 'keeper'])).code, 0);
  assert.match((await t.d.docker(['volume', 'ls', '-q'])).stdout, /^etcvol$/m);
  await run(['--name', 'anon2', '-v', '/scratch', 'busybox', 'true']);
  const vol = (await t.d.docker(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'anon2'])).stdout.trim();
  assert.match(vol, /^[0-9a-f]{64}$/);
  assert.equal((await t.d.docker(['rm', '-v', 'anon2'])).code, 0);
  assert.doesNotMatch((await t.d.docker(['volume', 'ls', '-q'])).stdout, new RegExp(vol));
  assert.equal((await t.d.docker(['volume', 'rm', 'etcvol'])).code, 0);
});

test('bind mounts and tmpfs: -v creates the source, --mount refuses a missing one, tmpfs size is enforced', async () => {
  const src = path.join(t.d.dir, 'bind-src');
  const b = await run(['--rm', '-v', `${src}:/b`, 'busybox', 'sh', '-c', 'echo from-container > /b/out']);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(await fsp.readFile(path.join(src, 'out'), 'utf8'), 'from-container\n');
  const missing = path.join(t.d.dir, 'nope');
  const m = await run(['--rm', '--mount', `type=bind,src=${missing},dst=/m`, 'busybox', 'true']);
  assert.notEqual(m.code, 0);
  assert.match(m.stderr, /bind source path does not exist/);
  assert.equal(existsSync(missing), false);
  const ro = await run(['--rm', '--mount', `type=bind,src=${src},dst=/m,readonly`, 'busybox', 'sh', '-c', 'cat /m/out; touch /m/x']);
  assert.equal(ro.stdout, 'from-container\n');
  assert.match(ro.stderr, /Read-only file system/);
  const fill = await run(['--rm', '--tmpfs', '/run:size=1m', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/run/big bs=1k count=2048 2>/dev/null; echo rc=$?; du -k /run/big']);
  assert.match(fill.stdout, /rc=1\n10[0-9][0-9]\s/);
});

test('--read-only: the root file system refuses writes, tmpfs and volumes stay writable; bind propagation is applied', async () => {
  const r = await run(['--rm', '--read-only', '--tmpfs', '/run', '-v', '/data', 'busybox', 'sh', '-c',
    'touch /x 2>&1; echo root=$?; touch /run/y && echo run=ok; touch /data/z && echo data=ok']);
  assert.match(r.stdout, /Read-only file system\nroot=1\nrun=ok\ndata=ok/);
  // tmpfs modes and sizes reach the kernel, from --mount and from --tmpfs
  const m = await run(['--rm', '--mount', 'type=tmpfs,dst=/t,tmpfs-mode=1770,tmpfs-size=1m', '--tmpfs', '/u:mode=700,size=2m', 'busybox', 'sh', '-c',
    'stat -c %a /t /u; grep -E " /(t|u) " /proc/mounts']);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, /^1770\n700\n/);
  assert.match(m.stdout, / \/t tmpfs [^\n]*size=1024k/);
  assert.match(m.stdout, / \/u tmpfs [^\n]*size=2048k/);
  // a private source cannot propagate: Docker's error, and the container never starts
  const priv = path.join(t.d.dir, 'prop-private');
  await fsp.mkdir(priv, { recursive: true });
  const bad = await run(['--rm', '--mount', `type=bind,src=${priv},dst=/p,bind-propagation=rslave`, 'busybox', 'true']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /is mounted on .* but it is not a shared or slave mount/);
  // a shared mount made by the test: a mount made on the host after the start shows up in the container
  const shared = path.join(t.d.dir, 'prop-shared');
  await fsp.mkdir(shared, { recursive: true });
  await runCmd('mount', ['-t', 'tmpfs', 'btprop', shared]);
  await runCmd('mount', ['--make-shared', shared]);
  const c = await run(['-d', '--name', 'prop', '--mount', `type=bind,src=${shared},dst=/p,bind-propagation=rslave`, 'busybox', 'sleep', '300']);
  assert.equal(c.code, 0, c.stderr);
  const inner = path.join(shared, 'late');
  await fsp.mkdir(inner);
  await runCmd('mount', ['-t', 'tmpfs', 'btlate', inner]);
  await fsp.writeFile(path.join(inner, 'hello'), 'propagated\n');
  const seen = await t.d.docker(['exec', 'prop', 'cat', '/p/late/hello']);
  assert.equal(seen.stdout, 'propagated\n', seen.stderr);
  const mi = await t.d.docker(['exec', 'prop', 'grep', ' /p ', '/proc/self/mountinfo']);
  assert.match(mi.stdout, /master:\d+/);
  assert.equal((await t.d.docker(['rm', '-f', 'prop'])).code, 0);
  try {
    // rshared, no runtime named: a mount made in the container reaches the host. On a hybrid cgroup layout
    // the default crun runs in a mount namespace of its own and cannot do that, so the container gets runc.
    const sh = await run(['-d', '--name', 'propsh', '--privileged', '-v', `${shared}:/p:rw,rshared`, 'busybox', 'sleep', '300']);
    assert.equal(sh.code, 0, sh.stderr);
    const info = JSON.parse((await t.d.dockerOk(['info', '--format', '{{json .}}'])).trim()) as { DefaultRuntime: string; Runtimes: Record<string, { status?: Record<string, string> }> };
    const hidden = /hybrid layout/.test(info.Runtimes[info.DefaultRuntime]?.status?.['berth.cgroups'] ?? '');
    const runtime = (await t.d.dockerOk(['inspect', '-f', '{{.HostConfig.Runtime}}', 'propsh'])).trim();
    assert.equal(runtime, hidden ? 'runc' : info.DefaultRuntime);
    const made = await t.d.docker(['exec', 'propsh', 'sh', '-c', 'mkdir -p /p/fromctr && mount -t tmpfs btfromctr /p/fromctr && echo up > /p/fromctr/f']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(await fsp.readFile(path.join(shared, 'fromctr', 'f'), 'utf8'), 'up\n');
  } finally {
    await t.d.docker(['rm', '-f', 'propsh']);
    await runCmd('umount', ['-R', shared]);
  }
});

test('volumes and their data survive a daemon restart', async () => {
  await t.d.docker(['volume', 'create', 'persist']);
  await run(['--rm', '-v', 'persist:/p', 'busybox', 'sh', '-c', 'echo still > /p/f']);
  await t.d.halt('SIGTERM');
  await t.d.start();
  const r = await run(['--rm', '-v', 'persist:/p', 'busybox', 'cat', '/p/f']);
  assert.equal(r.stdout, 'still\n', r.stderr);
  assert.equal((await t.d.docker(['volume', 'rm', 'persist'])).code, 0);
});
