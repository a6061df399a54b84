/**
 * GET /events through a real berthd with the docker CLI and dockerode: the lifecycle of containers,
 * images, networks and volumes is reported with Docker's actions and attributes; --since/--until replay
 * the daemon's history (unix seconds with fractions, RFC 3339 dates, durations), an `until` in the past
 * returns at once and one in the future ends the stream then; filters are Docker's (values of a key
 * OR'ed, keys AND'ed) and bad values are Docker's 400s.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { BERTH_CLI, TestDaemon, freePort, runCmd, waitFor } from './harness.js';

interface Ev { status?: string; id?: string; from?: string; Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> }; scope: string; time: number; timeNano: number }

let d: TestDaemon;
let tBoot = 0;
let tLife0 = 0;
let tLife1 = 0;
let cid = '';

const secs = (ms: number) => (ms / 1000).toFixed(3);
const parse = (out: string): Ev[] => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
async function events(args: string[]): Promise<Ev[]> {
  const r = await d.docker(['events', ...args, '--format', '{{json .}}'], { timeout: 20000 });
  assert.equal(r.code, 0, r.stderr);
  return parse(r.stdout);
}
const ok = (args: string[], input?: string) => d.dockerOk(args, input === undefined ? {} : { input });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  d = await TestDaemon.create();
  tBoot = Date.now();
  await d.importBusybox();
  tLife0 = Date.now();
  // one container through its whole life
  cid = await ok(['create', '--name', 'ev1', '--label', 'team=blue', '--network', 'none', 'busybox', 'sh', '-c', 'sleep 300']);
  await ok(['start', 'ev1']);
  assert.equal((await d.docker(['exec', 'ev1', 'sh', '-c', 'exit 4'])).code, 4);
  await ok(['exec', 'ev1', 'true']);
  await ok(['update', '--cpu-shares', '512', 'ev1']);
  await ok(['kill', 'ev1']);
  await ok(['wait', 'ev1']);
  await ok(['rename', 'ev1', 'ev2']);
  await ok(['start', 'ev2']);
  await ok(['restart', '-t', '1', 'ev2']);
  await ok(['stop', '-t', '1', 'ev2']);
  await ok(['rm', 'ev2']);
  // attach (docker run attaches) and resize (a tty container)
  await ok(['run', '--name', 'att', '--network', 'none', 'busybox', 'echo', 'hi']);
  await ok(['run', '-d', '-t', '--name', 'tty', '--network', 'none', 'busybox', 'sleep', '300']);
  assert.equal((await d.request('POST', '/containers/tty/resize?h=30&w=100')).status, 200);
  await ok(['rm', '-f', 'att', 'tty']);
  // images
  await ok(['tag', 'busybox', 'evimg:one']);
  await ok(['rmi', 'evimg:one']);
  const tar = path.join(d.dir, 'bb.tar');
  await ok(['save', '-o', tar, 'busybox']);
  await ok(['load', '-i', tar]);
  const rootfs = path.join(d.dir, 'rootfs');
  await fsp.mkdir(rootfs);
  await fsp.writeFile(path.join(rootfs, 'f'), 'x');
  assert.equal((await runCmd('tar', ['-C', rootfs, '-cf', `${rootfs}.tar`, '.'])).code, 0);
  await ok(['import', `${rootfs}.tar`, 'evdel:1']);
  await ok(['rmi', 'evdel:1']);
  // networks and volumes
  await ok(['network', 'create', 'evnet']);
  await ok(['volume', 'create', 'evvol']);
  await ok(['run', '--name', 'user', '--network', 'evnet', '-v', 'evvol:/data', 'busybox', 'true']);
  await ok(['network', 'disconnect', 'evnet', 'user']);
  await ok(['rm', 'user']);
  await ok(['network', 'rm', 'evnet']);
  await ok(['volume', 'rm', 'evvol']);
  await sleep(20);
  tLife1 = Date.now();
});

after(async () => {
  await d?.stop();
});

test('import and tag of the test image are reported as image events', async () => {
  const evs = await events(['--since', secs(tBoot), '--until', secs(tLife0)]);
  const imp = evs.find((e) => e.Type === 'image' && e.Action === 'import');
  assert.ok(imp, JSON.stringify(evs));
  assert.match(imp.Actor.ID, /^sha256:[0-9a-f]{64}$/);
  assert.equal(imp.Actor.Attributes.name, imp.Actor.ID);
  assert.equal(imp.status, 'import');
  const tag = evs.find((e) => e.Type === 'image' && e.Action === 'tag');
  assert.deepEqual(tag?.Actor, { ID: imp.Actor.ID, Attributes: { name: 'busybox:latest' } });
});

test('the container lifecycle with Docker\'s actions and attributes, in order', async () => {
  const evs = (await events(['--since', secs(tLife0), '--until', secs(tLife1), '--filter', `container=${cid}`]));
  const acts = evs.map((e) => e.Action);
  const want = ['create', 'start', 'exec_create: sh -c exit 4', 'exec_start: sh -c exit 4', 'exec_die', 'exec_create: true ', 'exec_start: true ', 'exec_die',
    'update', 'kill', 'die', 'rename', 'start',
    // sleep is pid 1 and ignores SIGTERM: restart and stop -t 1 end with SIGKILL
    'kill', 'kill', 'die', 'stop', 'start', 'restart', 'kill', 'kill', 'die', 'stop', 'destroy'];
  assert.deepEqual(acts.filter((a) => !a.startsWith('exec_') || want.includes(a)), want);
  for (const e of evs) {
    assert.equal(e.Type, 'container');
    assert.equal(e.Actor.ID, cid);
    assert.equal(e.id, cid);
    assert.equal(e.from, 'busybox');
    assert.equal(e.scope, 'local');
    assert.equal(e.Actor.Attributes.team, 'blue', 'labels are attributes');
    assert.equal(e.Actor.Attributes.image, 'busybox');
    assert.equal(e.time, Math.floor(e.timeNano / 1e9));
  }
  const attrs = (a: string, i = 0) => evs.filter((e) => e.Action === a)[i]!.Actor.Attributes;
  assert.equal(attrs('create').name, 'ev1');
  assert.equal(attrs('kill').signal, '9');
  assert.equal(attrs('die').exitCode, '137');
  assert.match(attrs('die').execDuration!, /^\d+$/);
  assert.equal(attrs('exec_die').exitCode, '4');
  assert.ok(attrs('exec_die').execID);
  assert.deepEqual(attrs('rename'), { image: 'busybox', name: 'ev2', oldName: '/ev1', team: 'blue' });
  assert.deepEqual([1, 2].map((i) => attrs('kill', i).signal), ['15', '9']);
  assert.equal(attrs('destroy').name, 'ev2');
});

test('attach, resize, images, networks and volumes', async () => {
  const evs = await events(['--since', secs(tLife0), '--until', secs(tLife1)]);
  const find = (type: string, action: string, pred: (e: Ev) => boolean = () => true) => evs.find((e) => e.Type === type && e.Action === action && pred(e));
  assert.ok(find('container', 'attach', (e) => e.Actor.Attributes.name === 'att'));
  assert.deepEqual(find('container', 'resize')?.Actor.Attributes, { height: '30', image: 'busybox', name: 'tty', width: '100' });
  const img = find('image', 'tag', (e) => e.Actor.Attributes.name === 'evimg:one');
  assert.ok(img);
  assert.match(img.Actor.ID, /^sha256:/);
  assert.deepEqual(find('image', 'untag')?.Actor, { ID: img.Actor.ID, Attributes: { name: img.Actor.ID } });
  assert.deepEqual(find('image', 'save')?.Actor, { ID: img.Actor.ID, Attributes: { name: img.Actor.ID } });
  assert.deepEqual(find('image', 'load')?.Actor, { ID: img.Actor.ID, Attributes: { name: img.Actor.ID } });
  // removing the last name of an image: untag, then delete of the image (its layers have no event)
  const delTag = find('image', 'tag', (e) => e.Actor.Attributes.name === 'evdel:1')!;
  const del = evs.filter((e) => e.Type === 'image' && e.Actor.ID === delTag.Actor.ID).map((e) => e.Action);
  assert.deepEqual(del, ['tag', 'import', 'untag', 'delete']);
  assert.equal(evs.filter((e) => e.Type === 'image' && e.Action === 'delete').length, 1);
  const netCreate = find('network', 'create', (e) => e.Actor.Attributes.name === 'evnet');
  assert.deepEqual(netCreate?.Actor.Attributes, { name: 'evnet', type: 'bridge' });
  const user = find('container', 'create', (e) => e.Actor.Attributes.name === 'user')!.Actor.ID;
  for (const a of ['connect', 'disconnect']) {
    assert.deepEqual(find('network', a, (e) => e.Actor.ID === netCreate.Actor.ID)?.Actor.Attributes, { container: user, name: 'evnet', type: 'bridge' }, a);
  }
  assert.ok(find('network', 'destroy', (e) => e.Actor.ID === netCreate.Actor.ID));
  assert.deepEqual(find('volume', 'create', (e) => e.Actor.ID === 'evvol')?.Actor.Attributes, { driver: 'local' });
  const mount = find('volume', 'mount', (e) => e.Actor.ID === 'evvol')?.Actor.Attributes;
  assert.deepEqual(mount && { container: mount.container, destination: mount.destination, rw: mount['read/write'] }, { container: user, destination: '/data', rw: 'true' });
  assert.equal(find('volume', 'unmount', (e) => e.Actor.ID === 'evvol')?.Actor.Attributes.container, user);
  assert.ok(find('volume', 'destroy', (e) => e.Actor.ID === 'evvol'));
  // the deprecated status/id fields are on container and image events only
  assert.ok(evs.every((e) => (e.Type === 'container' || e.Type === 'image') === (e.status === e.Action)));
});

test('filters: values of a key OR\'ed, keys AND\'ed; label, image, event, type', async () => {
  const range = ['--since', secs(tLife0), '--until', secs(tLife1)];
  const types = new Set((await events([...range, '--filter', 'type=network', '--filter', 'type=volume'])).map((e) => e.Type));
  assert.deepEqual([...types].sort(), ['network', 'volume']);
  const dies = await events([...range, '--filter', 'container=ev2', '--filter', 'event=die', '--filter', 'event=destroy']);
  assert.deepEqual(dies.map((e) => e.Action), ['die', 'die', 'destroy'], 'ev2 is the name after the rename');
  const blue = await events([...range, '--filter', 'label=team=blue', '--filter', 'event=create']);
  assert.deepEqual(blue.map((e) => e.Actor.ID), [cid]);
  assert.deepEqual(await events([...range, '--filter', 'label=team=red']), []);
  const exec = await events([...range, '--filter', 'event=exec_start']);
  assert.deepEqual(exec.map((e) => e.Action), ['exec_start: sh -c exit 4', 'exec_start: true ']);
  const evimg = await events([...range, '--filter', 'image=evimg']);
  assert.deepEqual(evimg.map((e) => e.Action), ['tag'], 'the tag of evimg:one, matched without its tag');
  const bb = await events([...range, '--filter', 'image=busybox', '--filter', 'event=create']);
  assert.ok(bb.length >= 4 && bb.every((e) => e.Type === 'container'));
  const unknown = await events([...range, '--filter', 'nosuchkey=x', '--filter', 'type=volume']);
  assert.ok(unknown.length > 0, 'unknown keys are ignored, as dockerd does');
});

test('since/until: RFC 3339 dates and durations; an until in the past returns at once', async () => {
  const iso = new Date(tLife0).toISOString();
  const fromIso = await events(['--since', iso, '--until', secs(tLife1), '--filter', 'type=volume']);
  assert.deepEqual(fromIso.map((e) => e.Action), ['create', 'mount', 'unmount', 'destroy']);
  // the CLI sends durations as whole seconds (now truncated): let the events' second pass
  while (Date.now() < tLife1 + 1100) await sleep(100);
  const fromDur = await events(['--since', '10m', '--until', '0s', '--filter', 'type=volume']);
  assert.deepEqual(fromDur.map((e) => e.Action), ['create', 'mount', 'unmount', 'destroy']);
  const t = Date.now();
  const past = await events(['--since', '10m', '--until', secs(tLife1)]);
  assert.ok(Date.now() - t < 3000, 'past ranges do not wait');
  assert.ok(past.length > 40);
  // until alone replays the history up to it
  const untilOnly = await events(['--until', secs(tLife1), '--filter', 'type=volume']);
  assert.deepEqual(untilOnly.map((e) => e.Action), ['create', 'mount', 'unmount', 'destroy']);
  // the exact timeNano of an event, sent back, includes it
  const first = fromIso[0]!;
  const ns = String(first.timeNano);
  const exact = await events(['--since', `${ns.slice(0, -9)}.${ns.slice(-9)}`, '--until', secs(tLife1), '--filter', 'type=volume']);
  assert.deepEqual(exact[0], first);
});

test('a future until streams live events and ends then', async () => {
  const t = Date.now();
  const p = d.docker(['events', '--until', secs(t + 4000), '--filter', 'container=live', '--format', '{{.Status}} {{.Actor.Attributes.name}}'], { timeout: 20000 });
  await sleep(500);
  await ok(['create', '--name', 'live', '--network', 'none', 'busybox', 'true']);
  await ok(['rm', 'live']);
  const r = await p;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'create live\ndestroy live\n');
  const took = Date.now() - t;
  assert.ok(took >= 3500 && took < 10000, `ended after ${took}ms`);
});

test('bad values are Docker\'s 400s', async () => {
  const after = await d.request('GET', `/events?since=${secs(tLife1)}&until=${secs(tLife0)}`);
  assert.equal(after.status, 400);
  assert.equal(after.json().message, `\`since\` time (${secs(tLife1)}) cannot be after \`until\` time (${secs(tLife0)})`);
  const dur = await d.request('GET', '/events?since=10m&until=1');
  assert.equal(dur.status, 400, 'the API takes unix seconds; the CLI converts durations');
  assert.match(dur.json().message, /strconv.ParseInt: parsing "10m": invalid syntax/);
  const bad = await d.request('GET', `/events?until=1&filters=${encodeURIComponent('{"type":')}`);
  assert.equal(bad.status, 400);
  const cli = await d.docker(['events', '--since', 'yesterday']);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /failed to parse value as time or duration: "yesterday"/);
});

test('dockerode getEvents: since/until/filters', async () => {
  const docker = new Docker({ socketPath: d.socket });
  const stream = await docker.getEvents({ since: Math.floor(tLife0 / 1000), until: Math.ceil(tLife1 / 1000), filters: { type: ['network'], event: ['create', 'destroy'] } });
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString();
  const evs = parse(text);
  assert.deepEqual(evs.filter((e) => e.Actor.Attributes.name === 'evnet').map((e) => e.Action), ['create', 'destroy']);
  assert.ok(evs.every((e) => e.Type === 'network'));
  await fsp.rm(path.join(d.dir, 'bb.tar'), { force: true });
});

test('push and pull through a registry: Docker\'s image events, named by reference', async () => {
  const port = await freePort();
  const root = path.join(d.dir, 'registry');
  const srv = spawn(process.execPath, [BERTH_CLI, 'registry', 'serve', '--addr', `127.0.0.1:${port}`, '--root', root], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    let banner = '';
    srv.stdout!.on('data', (c: Buffer) => { banner += c.toString(); });
    await waitFor(async () => banner.includes('listening on'), 10000, 'berth registry');
    const ref = `127.0.0.1:${port}/evbb`;
    const t0 = secs(Date.now());
    await ok(['tag', 'busybox', `${ref}:1`]);
    await ok(['push', `${ref}:1`]);
    await ok(['rmi', `${ref}:1`]);
    await ok(['pull', `${ref}:1`]);
    const evs = await events(['--since', t0, '--until', secs(Date.now() + 1), '--filter', 'type=image', '--filter', 'event=push', '--filter', 'event=pull']);
    assert.deepEqual(evs.map((e) => [e.Action, e.Actor.ID, e.Actor.Attributes.name]), [['push', `${ref}:1`, ref], ['pull', `${ref}:1`, ref]]);
    // image= matches the reference without its tag; the untag event names the image by id only
    const byImage = await events(['--since', t0, '--until', secs(Date.now() + 1), '--filter', `image=${ref}`]);
    assert.deepEqual(byImage.map((e) => e.Action), ['tag', 'push', 'pull']);
  } finally {
    srv.kill('SIGTERM');
    await new Promise((r) => srv.once('exit', r));
  }
});
