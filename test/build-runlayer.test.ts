/**
 * A RUN step's layer, made from its container's diff (src/containers/fs/pack.ts through the image
 * store): deletions as OCI whiteouts, a directory replaced as an opaque one, hardlinks as link entries
 * (the copied-up one too), fifos, symlinks, set-id modes, owners, mtimes, empty files, and files on both
 * sides of the size read whole (256 KiB) with their content intact. The entry list is what the private
 * Docker 20.10.24 (bench/private-docker.sh) gave for the same Dockerfile on 2026-12-06.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { busyboxDaemon, contextDir, runCmd, savedLayers } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';
const t = busyboxDaemon();

test('a RUN layer: whiteouts, opaque directory, hardlinks, fifo, symlink, modes, owners, mtimes and contents', async () => {
  const d = t.d;
  const ctx = await contextDir({
    Dockerfile: [
      'FROM busybox',
      'RUN mkdir -p /w/keep /w/gone /w/opq && echo a > /w/gone/f && echo b > /w/opq/old && echo k > /w/keep/k && echo x > /w/file',
      'RUN rm -rf /w/gone /w/file /w/opq && mkdir /w/opq && echo n > /w/opq/new \\',
      ' && echo h > /w/h1 && ln /w/h1 /w/h2 && ln /w/keep/k /w/keep/hl && mkfifo /w/fifo && ln -s /nowhere /w/sl \\',
      ' && echo s > /w/suid && chmod 4755 /w/suid && echo o > /w/owned && chown 12:34 /w/owned \\',
      ' && echo t > /w/old && touch -d @1234567890 /w/old && : > /w/empty \\',
      ' && dd if=/dev/urandom of=/w/big bs=1024 count=600 2>/dev/null && dd if=/dev/urandom of=/w/edge bs=1024 count=256 2>/dev/null \\',
      ' && md5sum /w/big /w/edge > /sums',
      '',
    ].join('\n'),
  });
  try {
    const r = await d.docker(['build', '-t', 'runlayer:1', ctx], { timeout: 120000 });
    assert.equal(r.code, 0, r.stderr);
    // the files read back from the image hold what the step wrote
    const check = await d.docker(['run', '--rm', 'runlayer:1', 'sh', '-c', 'md5sum -c /sums && cat /w/h2 /w/keep/hl /w/opq/new && ls /w/opq && ls /w | tr "\\n" " "']);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stdout, '/w/big: OK\n/w/edge: OK\nh\nk\nn\nnew\nbig edge empty fifo h1 h2 keep old opq owned sl suid ');
    const layers = await savedLayers(d, 'runlayer:1', ctx);
    const listing = (await runCmd('tar', ['--full-time', '--numeric-owner', '-tvf', layers.at(-1)!], { env: { ...process.env, TZ: 'UTC' } })).stdout.trim().split('\n');
    const entries = listing.map((l) => { const f = l.split(/\s+/); return [f[0], f[1], f[2], ...f.slice(5)].join(' '); });
    assert.deepEqual(entries, [
      '-rw-r--r-- 0/0 83 sums',
      'drwxr-xr-x 0/0 0 w/',
      '-rw-r--r-- 0/0 614400 w/big',
      '-rw-r--r-- 0/0 262144 w/edge',
      '-rw-r--r-- 0/0 0 w/empty',
      'prw-r--r-- 0/0 0 w/fifo',
      '-rw------- 0/0 0 w/.wh.file',
      '-rw------- 0/0 0 w/.wh.gone',
      '-rw-r--r-- 0/0 2 w/h1',
      'hrw-r--r-- 0/0 0 w/h2 link to w/h1',
      'drwxr-xr-x 0/0 0 w/keep/',
      '-rw-r--r-- 0/0 2 w/keep/hl',
      'hrw-r--r-- 0/0 0 w/keep/k link to w/keep/hl',
      '-rw-r--r-- 0/0 2 w/old',
      'drwxr-xr-x 0/0 0 w/opq/',
      '-rwxr-xr-x 0/0 0 w/opq/.wh..wh..opq',
      '-rw-r--r-- 0/0 2 w/opq/new',
      '-rw-r--r-- 12/34 2 w/owned',
      'lrwxrwxrwx 0/0 0 w/sl -> /nowhere',
      '-rwsr-xr-x 0/0 2 w/suid',
    ]);
    assert.match(listing.find((l) => l.endsWith(' w/old'))!, / 2009-02-13 23:31:30 w\/old$/);
  } finally {
    await d.docker(['rmi', 'runlayer:1']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});
