/**
 * Pruning through a real berthd with the docker CLI (and berth's own verbs): `system prune [--volumes]
 * [-a]` removes stopped containers, networks no container uses, dangling images (every unused image with
 * -a), anonymous volumes no container uses (with --volumes) and asks the builder for nothing, in Docker's
 * report format; nothing in use goes. `container prune` honours until/label/label! and reports the
 * space of the removed writable layers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TestDaemon, runCmd } from './harness.js';

let d: TestDaemon;
const ok = (args: string[]) => d.dockerOk(args);
const exists = async (args: string[]) => (await d.docker(args)).code === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inspectId = (ref: string) => ok(['image', 'inspect', '-f', '{{.Id}}', ref]);

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
});

after(async () => {
  await d?.stop();
});

/** A one-file rootfs tar, imported without a name: a dangling image of its own layer. */
async function danglingImage(tag: string): Promise<string> {
  const dir = path.join(d.dir, `rootfs-${tag}`);
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'payload'), `${tag}\n`.repeat(20000));
  const tar = `${dir}.tar`;
  const t = await runCmd('tar', ['-C', dir, '-cf', tar, '.']);
  assert.equal(t.code, 0, t.stderr);
  const out = await ok(['import', tar]);
  return out.trim();
}

test('system prune --volumes: stopped containers, unused networks, dangling images, anonymous volumes; nothing in use', async () => {
  const dangling = await danglingImage('d1');
  // an image that becomes dangling while a running container uses it
  await ok(['import', '-c', 'CMD ["sh"]', '/tmp/berth-test-busybox-rootfs.tar', 'keep:1']);
  const usedOld = await inspectId('keep:1');
  await ok(['network', 'create', 'keepnet']);
  await ok(['network', 'create', 'unusednet']);
  await ok(['network', 'create', 'midnet']);
  await ok(['volume', 'create', 'namedvol']);
  const running = await ok(['run', '-d', '--name', 'c-run', '--network', 'keepnet', '-v', '/anonkeep', 'keep:1', 'sleep', '300']);
  await ok(['import', '-c', 'CMD ["sh"]', '/tmp/berth-test-busybox-rootfs.tar', 'keep:1']);
  assert.notEqual(await inspectId('keep:1'), usedOld);
  const stopped = [
    await ok(['create', '--name', 'c-created', '--network', 'none', 'busybox', 'true']),
    await ok(['create', '--name', 'c-onnet', '--network', 'midnet', 'busybox', 'true']),
  ];
  await ok(['run', '--name', 'c-exited', '--network', 'none', 'busybox', 'true']);
  await ok(['run', '--name', 'c-anon', '--network', 'none', '-v', '/anondata', 'busybox', 'sh', '-c', 'echo x > /anondata/f']);
  stopped.push(await ok(['inspect', '-f', '{{.Id}}', 'c-exited']), await ok(['inspect', '-f', '{{.Id}}', 'c-anon']));
  const anonGone = await ok(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'c-anon']);
  const anonKept = await ok(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'c-run']);
  const t0 = (Date.now() / 1000).toFixed(3);

  const r = await d.docker(['system', 'prune', '--volumes', '-f']);
  assert.equal(r.code, 0, r.stderr);
  const section = (title: string) => (new RegExp(`${title}:\\n((?:.+\\n)+)\\n`).exec(r.stdout)?.[1] ?? '').split('\n').filter(Boolean).sort();
  assert.deepEqual(section('Deleted Containers'), [...stopped].sort());
  assert.deepEqual(section('Deleted Networks'), ['midnet', 'unusednet']);
  assert.deepEqual(section('Deleted Volumes'), [anonGone]);
  // the image, then its layer (by chain id), as dockerd lists them
  const images = section('Deleted Images');
  assert.ok(images.includes(`deleted: ${dangling}`), images.join('\n'));
  assert.equal(images.length, 2, images.join('\n'));
  assert.match(r.stdout, /\nTotal reclaimed space: [1-9][\d.]*[kM]B\n$/, 'the dangling image\'s layer and the volume are space');
  assert.deepEqual([...r.stdout.matchAll(/^Deleted (\w+):$/gm)].map((m) => m[1]), ['Containers', 'Networks', 'Volumes', 'Images'], 'in docker\'s order');

  // what is in use, named, or tagged stays
  assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', running]), 'running');
  for (const n of ['keepnet', 'bridge', 'host', 'none']) assert.ok(await exists(['network', 'inspect', n]), n);
  for (const v of ['namedvol', anonKept]) assert.ok(await exists(['volume', 'inspect', v]), v);
  for (const i of [usedOld, 'keep:1', 'busybox']) assert.ok(await exists(['image', 'inspect', i]), i);
  for (const c of stopped) assert.ok(!(await exists(['inspect', c])));
  assert.ok(!(await exists(['image', 'inspect', dangling])));
  assert.ok(!(await exists(['volume', 'inspect', anonGone])));

  // a prune event per kind, and the builder's (it has nothing to prune)
  const ev = await d.docker(['events', '--since', t0, '--until', (Date.now() / 1000).toFixed(3), '--filter', 'event=prune', '--format', '{{.Type}}']);
  assert.deepEqual(ev.stdout.split('\n').filter(Boolean).sort(), ['builder', 'container', 'image', 'network', 'volume']);

  // without --volumes, -a: every unused image goes, with all its names; the running container's stays
  await ok(['rm', '-f', 'c-run']);
  await ok(['run', '-d', '--name', 'c-run2', '--network', 'none', 'busybox', 'sleep', '300']);
  const all = await d.docker(['system', 'prune', '-a', '-f']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /Deleted Networks:\nkeepnet\n/);
  assert.match(all.stdout, /untagged: keep:1\n/);
  assert.match(all.stdout, new RegExp(`deleted: ${usedOld}\\n`));
  assert.doesNotMatch(all.stdout, /Deleted Volumes/);
  assert.ok(await exists(['image', 'inspect', 'busybox']), 'in use by c-run2');
  assert.ok(await exists(['volume', 'inspect', anonKept]), 'volumes only go with --volumes');
  await ok(['rm', '-f', 'c-run2']);
  await ok(['volume', 'rm', anonKept, 'namedvol']);
});

test('container prune: until, label, label!; space of the writable layers; Docker\'s errors', async () => {
  await ok(['run', '--name', 'p-old', '--network', 'none', '--label', 'team=a', 'busybox', 'dd', 'if=/dev/zero', 'of=/big', 'bs=1024', 'count=300']);
  const run = await ok(['run', '-d', '--name', 'p-run', '--network', 'none', '--label', 'team=a', 'busybox', 'sleep', '300']);
  const bad = await d.docker(['container', 'prune', '-f', '--filter', 'status=exited']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Error response from daemon: invalid filter 'status'/);
  const twoUntil = await d.docker(['container', 'prune', '-f', '--filter', 'until=1h', '--filter', 'until=2h']);
  assert.match(twoUntil.stderr, /more than one until filter specified/);
  assert.ok(await exists(['inspect', 'p-old']), 'a refused prune removes nothing');

  await sleep(3500);
  await ok(['create', '--name', 'p-new', '--network', 'none', '--label', 'team=b', 'busybox', 'true']);
  await ok(['create', '--name', 'p-plain', '--network', 'none', 'busybox', 'true']);

  const byAge = await d.docker(['container', 'prune', '-f', '--filter', 'until=2s']);
  assert.equal(byAge.code, 0, byAge.stderr);
  const oldId = byAge.stdout.match(/^[0-9a-f]{64}$/gm) ?? [];
  assert.equal(oldId.length, 1, byAge.stdout);
  assert.ok(!(await exists(['inspect', 'p-old'])));
  const kb = /Total reclaimed space: ([\d.]+)kB\n$/.exec(byAge.stdout);
  assert.ok(kb && Number(kb[1]) >= 300, `the 300 KiB written: ${byAge.stdout}`);

  const notB = await d.docker(['container', 'prune', '-f', '--filter', 'label!=team=b', '--filter', 'label=team']);
  assert.equal(notB.stdout, 'Total reclaimed space: 0B\n', 'p-new has team=b, p-plain no team, p-run runs');
  const byLabel = await d.docker(['container', 'prune', '-f', '--filter', 'label=team=b']);
  assert.match(byLabel.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: /);
  assert.ok(!(await exists(['inspect', 'p-new'])));
  assert.ok(await exists(['inspect', 'p-plain']));
  assert.equal(await ok(['inspect', '-f', '{{.State.Running}}', run]), 'true');
  await ok(['rm', '-f', 'p-run', 'p-plain']);
});

test('berth container prune and berth system prune against berthd', async () => {
  await ok(['create', '--name', 'b1', '--network', 'none', 'busybox', 'true']);
  await ok(['network', 'create', 'bnet']);
  const no = await d.berth(['container', 'prune'], { input: 'n\n' });
  assert.equal(no.code, 0);
  assert.ok(await exists(['inspect', 'b1']), 'answering no keeps everything');
  const c = await d.berth(['container', 'prune', '-f']);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: \S+\n$/);
  const id = await ok(['create', '--name', 'b2', '--network', 'none', 'busybox', 'true']);
  const s = await d.berth(['system', 'prune'], { input: 'y\n' });
  assert.equal(s.code, 0, s.stderr);
  assert.ok(s.stdout.startsWith('WARNING! This will remove:\n  - all stopped containers\n'), s.stdout);
  assert.match(s.stdout, new RegExp(`Deleted Containers:\\n${id}\\n\\nDeleted Networks:\\nbnet\\n\\nTotal reclaimed space: `));
  assert.ok(await exists(['image', 'inspect', 'busybox']));
});
