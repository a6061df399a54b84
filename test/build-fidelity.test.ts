/**
 * The classic builder's behaviour that clients see, against a real berthd (the daemon runs with
 * BERTH_BUILD_TRACE=1, so the traced backend is the one under test): config-only steps report a
 * ` ---> Running in` / `Removing intermediate container` pair as Docker 20.10 does, COPY reports none;
 * each step's image records its parent (inspect's Parent, `docker images` hiding intermediate images
 * unless -a, `docker history` naming them); a RUN's stderr comes in the stream wrapped in red as
 * docker-py expects; --cache-from limits hits to the sources' chain; a rebuild of the same context writes
 * no context file again and still sees a changed one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { busyboxDaemon, contextDir, postBuild, tarOf } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';
process.env.BERTH_BUILD_TRACE = '1';
const t = busyboxDaemon();

const build = (args: string[]) => t.d.docker(['build', ...args], { timeout: 180000 });

test('config-only steps report a step container, COPY does not; parents are recorded', async () => {
  const ctx = await contextDir({ Dockerfile: 'FROM busybox\nENV A=1\nCOPY f.txt /f\nLABEL x=y\nRUN echo hi\n', 'f.txt': 'f\n' });
  try {
    const r = await build(['--no-cache', '-t', 'fid:1', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const steps = r.stdout.split(/^Step /m);
    const env = steps.find((s) => s.startsWith('2/5 : ENV A=1'))!;
    const m = / ---> Running in ([0-9a-f]{12})\nRemoving intermediate container ([0-9a-f]{12})\n ---> [0-9a-f]{12}\n/.exec(env);
    assert.ok(m, env);
    assert.equal(m[1], m[2]);
    const copy = steps.find((s) => s.startsWith('3/5 : COPY'))!;
    assert.doesNotMatch(copy, /Running in|Removing intermediate/);
    assert.match(steps.find((s) => s.startsWith('4/5 : LABEL'))!, / ---> Running in [0-9a-f]{12}\nRemoving intermediate container/);
    assert.match(steps.find((s) => s.startsWith('5/5 : RUN'))!, / ---> Running in [0-9a-f]{12}\nhi\nRemoving intermediate container/);

    // Parent: each step's image is its parent's child, down to busybox
    const chain = (await t.d.dockerOk(['history', '-q', '--no-trunc', 'fid:1'])).split('\n');
    const busybox = await t.d.dockerOk(['image', 'inspect', '-f', '{{.Id}}', 'busybox']);
    assert.equal(chain.length, 5);
    assert.equal(chain.at(-1), busybox);
    for (let i = 0; i < chain.length - 1; i++) {
      assert.equal(await t.d.dockerOk(['image', 'inspect', '-f', '{{.Parent}}', chain[i]!]), chain[i + 1], `parent of ${chain[i]}`);
    }
    // `docker images` hides the intermediate images, -a shows them as <none>
    const listed = (await t.d.dockerOk(['images', '-q', '--no-trunc'])).split('\n');
    const all = (await t.d.dockerOk(['images', '-a', '-q', '--no-trunc'])).split('\n');
    for (const id of chain.slice(1, -1)) {
      assert.ok(!listed.includes(id), `${id} is listed without -a`);
      assert.ok(all.includes(id), `${id} is missing with -a`);
    }
    assert.ok(listed.includes(chain[0]!));
  } finally {
    await t.d.docker(['rmi', 'fid:1']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

/** POST /build with a Dockerfile as the body's only file; the JSON stream's objects. */
async function apiBuild(query: string, dockerfile: string): Promise<Record<string, unknown>[]> {
  const r = await postBuild(t.d, query, await tarOf({ Dockerfile: dockerfile }));
  return r.text.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('a RUN\'s stderr comes wrapped in red, stdout as it is', async () => {
  const out = await apiBuild('nocache=1', 'FROM busybox\nRUN echo out && sh -c ">&2 echo err"\n');
  const streams = out.map((o) => o.stream);
  assert.ok(streams.includes('\x1b[91merr\n\x1b[0m'), JSON.stringify(streams));
  assert.ok(streams.includes('out\n'), JSON.stringify(streams));
});

test('--cache-from: local hits only on the sources\' chain; an unknown source gives none', async () => {
  const df = 'FROM busybox\nENV FOO=bar\nRUN touch /baz\nRUN touch /bax\n';
  const hits = (o: Record<string, unknown>[]) => o.filter((x) => String(x.stream ?? '').includes('Using cache')).length;
  assert.equal((await apiBuild('t=cf1', df)).some((o) => o.error), false);
  assert.equal(hits(await apiBuild(`t=cf2&cachefrom=${encodeURIComponent(JSON.stringify(['cf1']))}`, df)), 3);
  assert.equal(hits(await apiBuild(`t=cf3&cachefrom=${encodeURIComponent(JSON.stringify(['nosuchtag']))}`, df)), 0);
  // an ancestor of a source is a source's chain too: the ENV step's image
  const envImage = (await t.d.dockerOk(['history', '-q', '--no-trunc', 'cf1'])).split('\n')[2]!;
  assert.equal(hits(await apiBuild(`t=cf4&cachefrom=${encodeURIComponent(JSON.stringify([envImage]))}`, df)), 1);
  // without --cache-from the local cache serves every step
  assert.equal(hits(await apiBuild('t=cf5', df)), 3);
  for (const tag of ['cf1', 'cf2', 'cf3', 'cf4', 'cf5']) await t.d.docker(['rmi', tag]);
});

test('a rebuild of the same context writes no context file again, and sees a changed one', async () => {
  const files: Record<string, string> = { Dockerfile: 'FROM busybox\nCOPY src/ /src/\nRUN cat /src/d1/f1.txt && ls /src | wc -l\n' };
  for (let i = 0; i < 30; i++) files[`src/d${i % 3}/f${i}.txt`] = `file ${i}\n`;
  const ctx = await contextDir(files);
  const trace = (from: number) => /build-trace context \d+ms (\d+) files, (\d+) written/.exec(t.d.log.slice(from))!;
  try {
    let mark = t.d.log.length;
    const first = await build(['-t', 'ctxreuse:1', ctx]);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.equal(trace(mark)[2], trace(mark)[1]); // a new context: every file written

    mark = t.d.log.length;
    const again = await build(['-t', 'ctxreuse:1', ctx]);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.equal(trace(mark)[1], '31');
    assert.equal(trace(mark)[2], '0');
    assert.doesNotMatch(again.stdout, /Running in/);

    // one file changed, one removed, one directory replaced by a file: the COPY sees exactly that
    await fsp.writeFile(path.join(ctx, 'src/d1/f1.txt'), 'changed\n');
    await fsp.rm(path.join(ctx, 'src/d0/f0.txt'));
    await fsp.rm(path.join(ctx, 'src/d2'), { recursive: true });
    await fsp.writeFile(path.join(ctx, 'src/d2'), 'now a file\n');
    mark = t.d.log.length;
    const changed = await build(['-t', 'ctxreuse:1', ctx]);
    assert.equal(changed.code, 0, changed.stderr + changed.stdout);
    assert.equal(trace(mark)[2], '2');
    assert.match(changed.stdout, /\nchanged\n3\n/);
    const list = await t.d.dockerOk(['run', '--rm', 'ctxreuse:1', 'sh', '-c', 'find /src | sort; cat /src/d2']);
    assert.doesNotMatch(list, /f0\.txt/);
    assert.match(list, /^\/src\/d2$/m);
    assert.match(list, /now a file/);
  } finally {
    await t.d.docker(['rmi', 'ctxreuse:1']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('COPY keeps each file\'s mode (set-id bits too), with and without --chown', async () => {
  const ctx = await contextDir({ Dockerfile: 'FROM busybox\nCOPY m/ /plain/\nCOPY --chown=1000:1000 m/ /owned/\n', 'm/suid': '#!/bin/sh\n', 'm/private': 'p\n', 'm/plain': 'x\n' });
  try {
    await fsp.chmod(path.join(ctx, 'm/suid'), 0o4755);
    await fsp.chmod(path.join(ctx, 'm/private'), 0o640);
    await fsp.chmod(path.join(ctx, 'm/plain'), 0o644);
    const r = await build(['--no-cache', '-t', 'modes:1', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const got = await t.d.dockerOk(['run', '--rm', 'modes:1', 'sh', '-c', 'cd / && stat -c "%n %a %u:%g" plain/* owned/*']);
    assert.deepEqual(got.split('\n'), [
      'plain/plain 644 0:0', 'plain/private 640 0:0', 'plain/suid 4755 0:0',
      'owned/plain 644 1000:1000', 'owned/private 640 1000:1000', 'owned/suid 4755 1000:1000',
    ]);
  } finally {
    await t.d.docker(['rmi', 'modes:1']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});
