/**
 * What a build leaves behind, and how it goes: `docker rmi` of a built image also deletes its untagged
 * parents (the intermediate images of its steps) up to the first one something else uses, as dockerd
 * does unless `--no-prune`; and a daemon killed after a step stored its layer but before the step's
 * image was written removes that layer (and its tar) at its next start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { busyboxDaemon, waitFor } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';
const t = busyboxDaemon();

/** Builds a Dockerfile sent on stdin; the image id. */
async function build(dockerfile: string, tag?: string): Promise<string> {
  const r = await t.d.docker(['build', '-q', ...(tag ? ['-t', tag] : []), '-'], { input: dockerfile, timeout: 120000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

const parentOf = async (id: string) => t.d.dockerOk(['image', 'inspect', '-f', '{{.Parent}}', id]);
const allImages = async () => new Set((await t.d.dockerOk(['images', '-a', '-q', '--no-trunc'])).split('\n').filter(Boolean));

test('docker rmi deletes the untagged parents of a built image, stops at one still used, keeps them with --no-prune', async () => {
  const d = t.d;
  const a = await build('FROM busybox\nRUN echo a > /a\nENV X=1\nRUN echo b > /b\n', 'prune-a');
  // the same first step (from the cache): its image is the parent of both builds' next steps
  const b = await build('FROM busybox\nRUN echo a > /a\nRUN echo c > /c\n', 'prune-b');
  const aEnv = await parentOf(a);
  const shared = await parentOf(aEnv);
  assert.equal(await parentOf(b), shared);
  const busybox = await d.dockerOk(['image', 'inspect', '-f', '{{.Id}}', 'busybox']);
  assert.equal(await parentOf(shared), busybox);
  const since = Math.floor(Date.now() / 1000) - 1;

  const out = await d.dockerOk(['rmi', 'prune-a']);
  const deleted = [...out.matchAll(/^Deleted: (sha256:[0-9a-f]{64})$/gm)].map((m) => m[1]);
  assert.match(out, /^Untagged: prune-a:latest$/m);
  // the image, its ENV parent, and the layer only the image had (the ENV step has none)
  assert.ok(deleted.includes(a) && deleted.includes(aEnv), out);
  assert.equal(deleted.length, 3, out);
  const left = await allImages();
  assert.ok(!left.has(a) && !left.has(aEnv));
  assert.ok(left.has(shared) && left.has(b) && left.has(busybox), 'the parent prune-b still uses stays');
  const events = await d.dockerOk(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=image', '--filter', 'event=delete', '--format', '{{.ID}}']);
  assert.deepEqual(events.split('\n').filter(Boolean).sort(), [a, aEnv].sort());

  const kept = await d.dockerOk(['rmi', '--no-prune', 'prune-b']);
  assert.ok(kept.includes(`Deleted: ${b}`), kept);
  assert.ok(!kept.includes(shared), kept);
  assert.ok((await allImages()).has(shared), '--no-prune keeps the parent');

  // the intermediate by id: its parent is tagged (busybox) and stays
  const last = await d.dockerOk(['rmi', shared]);
  assert.ok(last.includes(`Deleted: ${shared}`) && !last.includes(busybox), last);
  assert.equal(await d.dockerOk(['run', '--rm', 'busybox', 'echo', 'ok']), 'ok');
});

test('a parent a container uses is not pruned', async () => {
  const d = t.d;
  const img = await build('FROM busybox\nRUN echo p > /p\nRUN echo q > /q\n', 'prune-c');
  const parent = await parentOf(img);
  const ctr = await d.dockerOk(['create', parent, 'true']);
  try {
    const out = await d.dockerOk(['rmi', 'prune-c']);
    assert.ok(out.includes(`Deleted: ${img}`) && !out.includes(parent), out);
    assert.ok((await allImages()).has(parent));
  } finally {
    await d.dockerOk(['rm', ctr]);
  }
  const out = await d.dockerOk(['rmi', parent]);
  assert.ok(out.includes(`Deleted: ${parent}`), out);
});

test('an image with children: by id a hard conflict, forced or not; by its tag only the tag goes', async () => {
  const d = t.d;
  const img = await build('FROM busybox\nRUN echo k > /k\nRUN echo l > /l\n', 'kid');
  const parent = await parentOf(img);
  for (const args of [['rmi', parent], ['rmi', '-f', parent]]) {
    const r = await d.docker(args);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`conflict: unable to delete ${parent.slice(7, 19)} \\(cannot be forced\\) - image has dependent child images`));
  }
  await d.dockerOk(['tag', parent, 'kid-parent']);
  assert.equal(await d.dockerOk(['rmi', 'kid-parent']), 'Untagged: kid-parent:latest');
  assert.ok((await allImages()).has(parent), 'the untag leaves the image its child needs');
  const out = await d.dockerOk(['rmi', 'kid']);
  assert.ok(out.includes(`Deleted: ${img}`) && out.includes(`Deleted: ${parent}`), out);
});

test('a layer stored just before a daemon crash, with no image yet, is removed at the next start', async () => {
  const d = t.d;
  const id = await build('FROM busybox\nRUN echo leftover > /left\n');
  const layers = JSON.parse(await d.dockerOk(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', id])) as string[];
  const diffID = layers[layers.length - 1]!.slice(7);
  const overlay = path.join(await fsp.realpath(d.dataRoot), 'overlay', 'layers');
  const layerDir = path.join(overlay, diffID.slice(0, 16));
  const blob = path.join(d.dataRoot, 'image', 'content', 'blobs', 'sha256', diffID);
  assert.ok(existsSync(layerDir) && existsSync(blob));
  const before = (await fsp.readdir(overlay)).length;
  await d.halt('SIGKILL');
  // the state a kill between the step's layer and its image leaves: the layer and its tar, no image
  // record, and the scratch directory of the build that was running
  await fsp.rm(path.join(d.dataRoot, 'image', 'images', `${id.slice(7)}.json`));
  const scratch = path.join(d.dataRoot, 'builder', 'tmp', '0123456789abcdef');
  await fsp.mkdir(path.join(scratch, 'tmp'), { recursive: true });
  await d.start();
  await waitFor(async () => !existsSync(layerDir), 15000, 'the leftover layer to be removed');
  assert.ok(!existsSync(blob), 'its tar goes too');
  assert.equal((await fsp.readdir(overlay)).length, before - 1, 'only that layer went');
  await waitFor(async () => !existsSync(scratch), 5000, 'the scratch directory to be removed');
  assert.equal(await d.dockerOk(['run', '--rm', 'busybox', 'echo', 'ok']), 'ok');
  // the cache entry of the lost image is a miss: the step runs again
  const r = await d.docker(['build', '-t', 'after-crash:1', '-'], { input: 'FROM busybox\nRUN echo leftover > /left\n', timeout: 120000 });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /Using cache/);
  assert.equal(await d.dockerOk(['run', '--rm', 'after-crash:1', 'cat', '/left']), 'leftover');
});
