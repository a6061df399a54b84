/**
 * The container lifecycle through the docker CLI (v28, this machine's /usr/local/bin/docker) against a
 * real berthd: runc containers under conmon, overlay rootfs, logs, exec, restart resilience.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { TestDaemon, waitFor, runCmd } from './harness.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
});

after(async () => {
  await d?.stop();
});

const N = ['--network', 'none'];

test('docker version and info talk to berthd', async () => {
  const v = await d.docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}}']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), '1.47 linux');
  const i = await d.docker(['info', '--format', '{{.Driver}} {{.Images}}']);
  assert.equal(i.code, 0, i.stderr);
  assert.match(i.stdout, /^overlay2 [1-9]/);
});

test('run --rm prints the output and returns the exit code', async () => {
  const r = await d.docker(['run', '--rm', ...N, 'busybox', 'echo', 'hi']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  const e = await d.docker(['run', '--rm', ...N, 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(e.code, 3);
  assert.equal(e.stdout, 'out\n');
  assert.equal(e.stderr, 'err\n');
  // --rm really removed it
  const ps = await d.docker(['ps', '-aq']);
  assert.equal(ps.stdout.trim(), '');
});

test('a missing command exits 127 as docker does', async () => {
  const r = await d.docker(['run', '--rm', ...N, 'busybox', 'nosuchcommand']);
  assert.equal(r.code, 127, r.stderr);
  assert.match(r.stderr, /executable file not found|no such file/);
});

test('stdin is piped with -i', async () => {
  const r = await d.docker(['run', '--rm', '-i', ...N, 'busybox', 'sh', '-c', 'tr a-z A-Z'], { input: 'hello berth\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'HELLO BERTH\n');
});

test('detached httpd: ps, inspect, logs, exec, stop/start, kill, wait, rm', async () => {
  // busybox httpd ignores SIGTERM as PID 1 (on Docker too): a shell with traps is PID 1 here
  const script = 'trap "echo got HUP" HUP; trap "exit 143" TERM; echo started; httpd -p 80; while :; do sleep 0.1; done';
  const run = await d.docker(['run', '-d', '--name', 'web', ...N, 'busybox', 'sh', '-c', script]);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);

  const ps = await d.docker(['ps', '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, /^web Up /m);
  const pid = Number((await d.docker(['inspect', '-f', '{{.State.Pid}}', 'web'])).stdout.trim());
  assert.ok(pid > 0);
  // the pid is real: the container's shell, in a pid namespace of its own
  assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sh\x00-c/);
  assert.notEqual((await runCmd('readlink', [`/proc/${pid}/ns/pid`])).stdout, (await runCmd('readlink', ['/proc/self/ns/pid'])).stdout);
  const top = await d.docker(['top', 'web']);
  assert.equal(top.code, 0, top.stderr);
  assert.match(top.stdout, /^UID\s+PID\s+PPID/);
  assert.match(top.stdout, /httpd -p 80/);

  await waitFor(async () => (await d.docker(['logs', 'web'])).stdout.includes('started'), 5000, 'logs');
  const hn = await d.docker(['exec', 'web', 'hostname']);
  assert.equal(hn.code, 0, hn.stderr);
  assert.equal(hn.stdout.trim(), id.slice(0, 12));
  const ex = await d.docker(['exec', 'web', 'sh', '-c', 'exit 4']);
  assert.equal(ex.code, 4);

  // the container's httpd answers inside its own network namespace
  const wget = await d.docker(['exec', 'web', 'wget', '-qO-', 'http://127.0.0.1:80/']);
  assert.match(wget.stdout + wget.stderr, /404|Not Found/);

  const stop = await d.docker(['stop', '-t', '2', 'web']);
  assert.equal(stop.code, 0, stop.stderr);
  const st = await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.Running}}', 'web']);
  assert.equal(st.stdout.trim(), 'exited false');
  // upper layer survives stop/start
  const start = await d.docker(['start', 'web']);
  assert.equal(start.code, 0, start.stderr);
  await d.docker(['exec', 'web', 'sh', '-c', 'echo kept > /root/file']);
  await d.docker(['restart', '-t', '1', 'web']);
  assert.equal((await d.docker(['exec', 'web', 'cat', '/root/file'])).stdout, 'kept\n');

  const hup = await d.docker(['kill', '-s', 'HUP', 'web']);
  assert.equal(hup.code, 0, hup.stderr);
  await waitFor(async () => (await d.docker(['logs', 'web'])).stdout.includes('got HUP'), 5000, 'HUP trap');
  const kill = await d.docker(['kill', '-s', 'TERM', 'web']);
  assert.equal(kill.code, 0, kill.stderr);
  const wait = await d.docker(['wait', 'web']);
  assert.equal(wait.code, 0, wait.stderr);
  assert.equal(wait.stdout.trim(), '143');

  const again = await d.docker(['stop', 'web']);
  assert.equal(again.code, 0); // already stopped: 304, which the CLI accepts
  const rm = await d.docker(['rm', 'web']);
  assert.equal(rm.code, 0, rm.stderr);
  const gone = await d.docker(['inspect', 'web']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such object: web|No such container: web/);
  // no overlay mount remains for it
  assert.ok(!readFileSync('/proc/self/mounts', 'utf8').includes(id));
});

test('a custom command replaces CMD as PID 1', async () => {
  const a = await d.docker(['run', '-d', ...N, 'busybox', 'echo', '123']);
  const id = a.stdout.trim();
  await d.docker(['wait', id]);
  assert.equal((await d.docker(['logs', id])).stdout, '123\n');
  const b = await d.docker(['run', '-d', ...N, 'busybox', 'ping', '127.0.0.1']);
  const pid = Number((await d.docker(['inspect', '-f', '{{.State.Pid}}', b.stdout.trim()])).stdout.trim());
  assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^ping\x00127\.0\.0\.1/);
  await waitFor(async () => /bytes from 127\.0\.0\.1/.test((await d.docker(['logs', b.stdout.trim()])).stdout), 5000, 'ping replies');
  const rm = await d.docker(['rm', '-f', b.stdout.trim(), id]);
  assert.equal(rm.code, 0, rm.stderr);
});

test('logs: --tail, --timestamps, -f ends when the container exits', async () => {
  const r = await d.docker(['run', '-d', ...N, 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; sleep 1; echo last']);
  const id = r.stdout.trim();
  const f = await d.docker(['logs', '-f', id], { timeout: 15000 });
  assert.equal(f.code, 0, f.stderr);
  assert.equal(f.stdout, 'line1\nline2\nline3\nline4\nline5\nlast\n');
  const t = await d.docker(['logs', '--tail', '2', id]);
  assert.equal(t.stdout, 'line5\nlast\n');
  const ts = await d.docker(['logs', '--timestamps', '--tail', '1', id]);
  assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z last\n$/);
  await d.docker(['rm', id]);
});

test('network modes: none has only lo, host shares the host netns, container: joins another', async () => {
  const none = await d.docker(['run', '--rm', ...N, 'busybox', 'ip', '-o', 'link']);
  assert.equal(none.code, 0, none.stderr);
  assert.deepEqual(none.stdout.trim().split('\n').map((l) => l.split(': ')[1]), ['lo']);
  assert.match(none.stdout, /UP/);
  const host = await d.docker(['run', '--rm', '--network', 'host', 'busybox', 'readlink', '/proc/1/ns/net']);
  assert.equal(host.stdout.trim(), (await runCmd('readlink', ['/proc/self/ns/net'])).stdout.trim());
  const a = await d.docker(['run', '-d', '--name', 'netowner', ...N, 'busybox', 'sleep', '60']);
  assert.equal(a.code, 0, a.stderr);
  const pid = (await d.docker(['inspect', '-f', '{{.State.Pid}}', 'netowner'])).stdout.trim();
  const joined = await d.docker(['run', '--rm', '--network', 'container:netowner', 'busybox', 'readlink', '/proc/self/ns/net']);
  assert.equal(joined.stdout.trim(), (await runCmd('readlink', [`/proc/${pid}/ns/net`])).stdout.trim());
  const hostsFile = await d.docker(['run', '--rm', ...N, '--hostname', 'box1', '--add-host', 'db:10.9.8.7', '--dns', '10.0.0.53', 'busybox',
    'sh', '-c', 'hostname; grep db /etc/hosts; cat /etc/resolv.conf']);
  assert.equal(hostsFile.code, 0, hostsFile.stderr);
  assert.match(hostsFile.stdout, /^box1\n10\.9\.8\.7\tdb\n/);
  assert.match(hostsFile.stdout, /nameserver 10\.0\.0\.53/);
  await d.docker(['rm', '-f', 'netowner']);
});

test('exec -ti gets a real tty and its exit code', async () => {
  const a = await d.docker(['run', '-d', '--name', 'ttybox', ...N, 'busybox', 'sleep', '60']);
  assert.equal(a.code, 0, a.stderr);
  // script(1) gives the docker CLI a terminal of its own
  const r = await runCmd('script', ['-qec', `docker exec -ti ttybox sh -c 'tty; stty size; exit 5'`, '/dev/null'], {
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` },
  });
  assert.match(r.stdout, /\/dev\/pts\/\d+/);
  assert.equal(r.code, 5);
  const rt = await runCmd('script', ['-qec', `docker run --rm -ti --network none busybox sh -c 'tty; exit 6'`, '/dev/null'], {
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` },
  });
  assert.match(rt.stdout, /\/dev\/(pts\/\d+|console)/);
  assert.equal(rt.code, 6);
  await d.docker(['rm', '-f', 'ttybox']);
});

test('containers outlive the daemon and are reconciled when it comes back', async () => {
  const a = await d.docker(['run', '-d', '--name', 'survivor', ...N, 'busybox', 'sleep', '300']);
  const b = await d.docker(['run', '-d', '--name', 'dier', ...N, 'busybox', 'sh', '-c', 'sleep 300']);
  assert.equal(a.code + b.code, 0);
  const pidA = Number((await d.docker(['inspect', '-f', '{{.State.Pid}}', 'survivor'])).stdout.trim());
  const pidB = Number((await d.docker(['inspect', '-f', '{{.State.Pid}}', 'dier'])).stdout.trim());
  await d.halt('SIGTERM');
  assert.ok(existsSync(`/proc/${pidA}`), 'container kept running without the daemon');
  process.kill(pidB, 'SIGKILL'); // dies while nobody watches
  // gone, or a zombie (empty cmdline); it may vanish between two looks, so a failed read counts as gone
  const gone = () => { try { return readFileSync(`/proc/${pidB}/cmdline`, 'utf8') === ''; } catch { return true; } };
  await waitFor(async () => gone(), 5000, 'container death');
  await new Promise((r) => setTimeout(r, 300));
  await d.start();
  const st = await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'survivor', 'dier']);
  assert.equal(st.stdout, 'running 0\nexited 137\n');
  const e = await d.docker(['exec', 'survivor', 'echo', 'still here']);
  assert.equal(e.stdout, 'still here\n');

  // a crash (SIGKILL) of the daemon loses nothing either
  await d.halt('SIGKILL');
  await d.start();
  assert.equal((await d.docker(['inspect', '-f', '{{.State.Status}}', 'survivor'])).stdout.trim(), 'running');
  const rm = await d.docker(['rm', '-f', 'survivor', 'dier']);
  assert.equal(rm.code, 0, rm.stderr);
});

test('bad input: Docker status codes and messages', async () => {
  const bad = await d.request('POST', '/v1.47/containers/create', '{"Image": "busybox", ');
  assert.equal(bad.status, 400);
  assert.match(bad.json().message, /invalid JSON/);
  const wrong = await d.request('POST', '/v1.47/containers/create', { Image: 'busybox', Cmd: 42 });
  assert.equal(wrong.status, 400);
  assert.match(wrong.json().message, /Go struct field ContainerConfigWrapper\.Cmd/);
  const noimg = await d.request('POST', '/v1.47/containers/create', { Image: 'nosuchimage', HostConfig: { NetworkMode: 'none' } });
  assert.equal(noimg.status, 404);
  assert.match(noimg.json().message, /No such image: nosuchimage/);
  const missing = await d.request('GET', '/v1.47/containers/nope/json');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().message, 'No such container: nope');
  const c1 = await d.request('POST', '/v1.47/containers/create?name=dup', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  assert.equal(c1.status, 201);
  const c2 = await d.request('POST', '/v1.47/containers/create?name=dup', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  assert.equal(c2.status, 409);
  assert.match(c2.json().message, /The container name "\/dup" is already in use/);
  const badName = await d.request('POST', '/v1.47/containers/create?name=a/b', { Image: 'busybox', HostConfig: { NetworkMode: 'none' } });
  assert.equal(badName.status, 400);
  const id = c1.json().Id as string;
  const s = await d.request('POST', `/v1.47/containers/${id}/start`);
  assert.equal(s.status, 204);
  await d.request('POST', `/v1.47/containers/${id}/wait`);
  const stopped = await d.request('POST', `/v1.47/containers/${id}/stop`);
  assert.equal(stopped.status, 304);
  const tooNew = await d.request('GET', '/v1.99/version');
  assert.equal(tooNew.status, 400);
  await d.request('DELETE', `/v1.47/containers/${id}`);
});

test('docker attach to a running tty container: input, output and exit code', async () => {
  const a = await d.docker(['run', '-dit', '--name', 'attachme', ...N, 'busybox', 'sh']);
  assert.equal(a.code, 0, a.stderr);
  const r = await runCmd('script', ['-qec', 'docker attach attachme', '/dev/null'], {
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` },
    input: 'echo attached-$((40+2))\nexit 4\n',
  });
  assert.match(r.stdout, /attached-42/);
  assert.equal(r.code, 4);
  assert.equal((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'attachme'])).stdout.trim(), '4');
  await d.docker(['rm', 'attachme']);
});

test('logs rotate at log-opts max-size and keep max-file files, read back in order', async () => {
  // daemon.json of the harness: max-size 64k, max-file 3
  const r = await d.docker(['run', '-d', ...N, 'busybox', 'sh', '-c',
    'i=0; while [ $i -lt 6000 ]; do echo "line-$i ................................"; i=$((i+1)); [ $((i % 200)) -eq 0 ] && sleep 0.1; done; sleep 1.5']);
  const id = r.stdout.trim();
  await d.docker(['wait', id]);
  const logPath = (await d.docker(['inspect', '-f', '{{.LogPath}}', id])).stdout.trim();
  const { readdirSync, statSync } = await import('node:fs');
  const dir = logPath.slice(0, logPath.lastIndexOf('/'));
  const files = readdirSync(dir).filter((f) => f.startsWith(`${id}-json.log`));
  assert.ok(files.includes(`${id}-json.log.1`), `rotated: ${files.join(' ')}`);
  assert.ok(files.length <= 3, `at most max-file files: ${files.join(' ')}`);
  const logs = (await d.docker(['logs', id])).stdout.trim().split('\n');
  assert.equal(logs.at(-1)?.split(' ')[0], 'line-5999');
  // what is kept is a contiguous, ordered tail of the output
  const nums = logs.map((l) => Number(/^line-(\d+)/.exec(l)?.[1]));
  for (let i = 1; i < nums.length; i++) assert.equal(nums[i], nums[i - 1] + 1);
  assert.ok(nums.length < 6000, 'older lines were rotated away');
  assert.ok(statSync(logPath).size >= 0);
  await d.docker(['rm', id]);
});
