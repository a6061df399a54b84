/**
 * Compatibility with the clients users have: dockerode (npm) and Berth's own CLI against a real berthd,
 * and image operations (tag, save, load, rmi) through the docker CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { TestDaemon, waitFor } from './harness.js';

let d: TestDaemon;
let docker: Docker;

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
  docker = new Docker({ socketPath: d.socket });
});

after(async () => {
  await d?.stop();
});

function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    stream.on('data', (c: Buffer) => { s += c.toString(); });
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
}

test('dockerode: create, attach, start, wait, logs, inspect, remove', async () => {
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 7'], HostConfig: { NetworkMode: 'none' } });
  const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(stream, out, err);
  const outText = collect(out);
  const errText = collect(err);
  stream.on('end', () => { out.end(); err.end(); });
  await c.start();
  const res = await c.wait();
  assert.equal(res.StatusCode, 7);
  assert.equal(await outText, 'to-out\n');
  assert.equal(await errText, 'to-err\n');
  const info = await c.inspect();
  assert.equal(info.State.Status, 'exited');
  assert.equal(info.State.ExitCode, 7);
  assert.equal(info.Config.Image, 'busybox');
  const logs = await c.logs({ stdout: true, stderr: true, follow: false });
  assert.match(logs.toString('latin1'), /to-out/);
  await c.remove();
  await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});

test('dockerode: exec with stdin and exit code', async (t) => {
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } });
  t.after(() => c.remove({ force: true }).catch(() => undefined));
  await c.start();
  const ex = await c.exec({ Cmd: ['sh', '-c', 'read x; echo got:$x; exit 9'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: true });
  const out = new PassThrough();
  docker.modem.demuxStream(stream, out, new PassThrough());
  const text = collect(out);
  stream.on('end', () => out.end());
  stream.write('berth\n');
  await text.then((t) => assert.equal(t, 'got:berth\n'));
  const info = await waitFor(async () => { const i = await ex.inspect(); return i.Running ? undefined : i; }, 5000, 'exec end');
  assert.equal(info.ExitCode, 9);
  const list = await docker.listContainers();
  assert.ok(list.some((x) => x.Id === c.id && x.State === 'running'));
});

test('dockerode: events stream reports the lifecycle', async () => {
  const events = await docker.getEvents({ filters: { type: ['container'] } });
  const seen: string[] = [];
  events.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n').filter(Boolean)) seen.push((JSON.parse(line) as { Action: string }).Action);
  });
  const c = await docker.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  await c.start();
  await c.wait();
  await c.remove();
  await waitFor(async () => seen.includes('destroy'), 5000, 'destroy event');
  (events as unknown as { destroy(): void }).destroy();
  assert.deepEqual(seen.filter((a) => ['create', 'start', 'die', 'destroy'].includes(a)), ['create', 'start', 'die', 'destroy']);
});

test('berth CLI: run, ps, inspect -f, logs, exec, stop, rm with docker exit codes', async () => {
  const r = await d.berth(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo from-berth; exit 2']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, 'from-berth\n');
  const det = await d.berth(['run', '-d', '--name', 'bweb', '--network', 'none', 'busybox', 'sleep', '60']);
  assert.equal(det.code, 0, det.stderr);
  assert.match(det.stdout.trim(), /^[0-9a-f]{64}$/);
  const ps = await d.berth(['ps', '--format', '{{.Names}}:{{.Image}}']);
  assert.equal(ps.stdout.trim(), 'bweb:busybox');
  const pid = await d.berth(['inspect', '-f', '{{.State.Pid}}', 'bweb']);
  assert.ok(Number(pid.stdout.trim()) > 0, pid.stderr);
  const ex = await d.berth(['exec', 'bweb', 'sh', '-c', 'echo in-exec; exit 3']);
  assert.equal(ex.code, 3);
  assert.equal(ex.stdout, 'in-exec\n');
  const missing = await d.berth(['inspect', 'nosuch']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such object: nosuch|No such container: nosuch/);
  const stop = await d.berth(['stop', '-t', '1', 'bweb']);
  assert.equal(stop.code, 0, stop.stderr);
  const rm = await d.berth(['rm', 'bweb']);
  assert.equal(rm.code, 0, rm.stderr);
  const unknownFlag = await d.berth(['run', '--no-such-flag', 'busybox']);
  assert.equal(unknownFlag.code, 125);
});

test('images: tag, inspect, save, rmi, load round trip through the docker CLI', async () => {
  const tar = path.join(d.dir, 'img.tar');
  const id = (await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal((await d.docker(['tag', 'busybox', 'localhost:5000/bb:1'])).code, 0);
  const tags = (await d.docker(['image', 'inspect', '-f', '{{join .RepoTags ","}}', id])).stdout.trim().split(',').sort();
  assert.deepEqual(tags, ['busybox:latest', 'localhost:5000/bb:1']);
  const save = await d.docker(['save', '-o', tar, 'busybox']);
  assert.equal(save.code, 0, save.stderr);
  assert.ok((await fsp.stat(tar)).size > 1_000_000);
  // by id with two tags: must be forced
  const conflict = await d.docker(['rmi', id]);
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, /must be forced/);
  assert.equal((await d.docker(['rmi', 'localhost:5000/bb:1'])).stdout.trim(), 'Untagged: localhost:5000/bb:1');
  const rmi = await d.docker(['rmi', 'busybox']);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.match(rmi.stdout, /Untagged: busybox:latest\nDeleted: sha256:/);
  assert.equal((await d.docker(['images', '-q'])).stdout.trim(), '');
  const load = await d.docker(['load', '-i', tar]);
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout, /Loaded image: busybox:latest/);
  assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim(), id);
  const run = await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'loaded']);
  assert.equal(run.stdout, 'loaded\n');
  const imgs = await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']);
  assert.match(imgs.stdout, /^busybox:latest \d/);
});

test('an image used by a container cannot be removed without force', async () => {
  const c = await d.docker(['create', '--network', 'none', 'busybox', 'true']);
  assert.equal(c.code, 0, c.stderr);
  const r = await d.docker(['rmi', 'busybox']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /container [0-9a-f]{12} is using its referenced image/);
  await d.docker(['rm', c.stdout.trim()]);
});
