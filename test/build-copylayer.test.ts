/**
 * COPY's layer made straight from the context (src/build/directlayer.ts) against the image it lands in:
 * a parent directory the image has keeps its owner and mode, missing parents are root's 0755, a parent
 * that is a symlink in the image is followed (the container path), and the layer holds only what COPY
 * wrote, its parents included. With --chown, the directories a COPY creates get the owner as Docker
 * 20.10's builder gives it; ADD of a local archive keeps the archive's owners and makes its directories
 * root's, --chown or not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { busyboxDaemon, contextDir, runCmd, savedLayers } from './harness.js';
import { execFileSync } from 'node:child_process';

process.env.DOCKER_BUILDKIT = '0';
const t = busyboxDaemon();

/** A layer tar's entries as `uid/gid name`. */
async function owners(layer: string): Promise<string[]> {
  return (await runCmd('tar', ['-tvf', layer])).stdout.trim().split('\n').map((l) => { const f = l.split(/\s+/); return `${f[1]} ${f[5]}`; });
}

test('COPY into the image: owners and modes of existing parents, new parents, symlinked parents', async () => {
  const d = t.d;
  const ctx = await contextDir({
    Dockerfile: [
      'FROM busybox',
      'RUN mkdir -p /owned /real && chown 65534:65534 /owned && chmod 0750 /owned && ln -s /real /link && echo old > /owned/keep',
      'COPY a.txt /owned/',
      'COPY a.txt /link/',
      'COPY a.txt /newdir/deeper/',
      'COPY --chown=7:8 sub/ /owned/',
      '',
    ].join('\n'),
    'a.txt': 'a\n',
    'sub/b.txt': 'b\n',
  });
  try {
    const r = await d.docker(['build', '-t', 'copylayer:1', ctx], { timeout: 120000 });
    assert.equal(r.code, 0, r.stderr);
    const out = await d.dockerOk(['run', '--rm', 'copylayer:1', 'sh', '-c',
      'stat -c "%n %u:%g %a" /owned /owned/a.txt /owned/keep /newdir /newdir/deeper /newdir/deeper/a.txt /owned/b.txt /link /real/a.txt; cat /owned/keep /real/a.txt']);
    assert.deepEqual(out.split('\n'), [
      '/owned 65534:65534 750',
      '/owned/a.txt 0:0 644',
      '/owned/keep 0:0 644',
      '/newdir 0:0 755',
      '/newdir/deeper 0:0 755',
      '/newdir/deeper/a.txt 0:0 644',
      '/owned/b.txt 7:8 644',
      '/link 0:0 777',
      '/real/a.txt 0:0 644',
      'old',
      'a',
    ]);
    // each COPY's layer: what it wrote and the parents it wrote below, nothing else
    const layers = await savedLayers(d, 'copylayer:1', ctx);
    assert.equal(layers.length, 6); // busybox, RUN, four COPYs
    const list = (i: number) => owners(layers[i]!);
    assert.deepEqual(await list(2), ['65534/65534 owned/', '0/0 owned/a.txt']);
    assert.deepEqual(await list(3), ['0/0 real/', '0/0 real/a.txt']);
    assert.deepEqual(await list(4), ['0/0 newdir/', '0/0 newdir/deeper/', '0/0 newdir/deeper/a.txt']);
    assert.deepEqual(await list(5), ['65534/65534 owned/', '7/8 owned/b.txt']);
  } finally {
    await d.docker(['rmi', 'copylayer:1']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('COPY --chown gives its owner to the directories it creates, as Docker 20.10: every parent of a file, the destination of a directory', async () => {
  const d = t.d;
  // what the private Docker 20.10.24 gave for the same Dockerfile (bench/private-docker.sh, 2026-12-06)
  const ctx = await contextDir({
    Dockerfile: [
      'FROM scratch AS bare',
      'COPY --chown=1000:1000 f /a/b/f',
      'FROM busybox',
      'RUN mkdir /have /real && ln -s /real /lnk',
      'COPY --chown=1000:1000 f /a/b/c/f',
      'COPY --chown=1000:1000 d /x/y/z/',
      'COPY --chown=1000:1000 f /have/n/',
      // a symlinked parent: the items are written into a container (write.ts), not straight into a layer
      'COPY --chown=1000:1000 f /lnk/p/q/f',
      '',
    ].join('\n'),
    f: 'hi\n',
    'd/g': 'in\n',
  });
  try {
    const r = await d.docker(['build', '-t', 'copyown:1', ctx], { timeout: 120000 });
    assert.equal(r.code, 0, r.stderr);
    const out = await d.dockerOk(['run', '--rm', 'copyown:1', 'sh', '-c',
      'stat -c "%n %u:%g %a" /a /a/b /a/b/c /a/b/c/f /x /x/y /x/y/z /x/y/z/g /have /have/n /have/n/f /real /real/p /real/p/q /real/p/q/f']);
    assert.deepEqual(out.split('\n'), [
      '/a 1000:1000 755', '/a/b 1000:1000 755', '/a/b/c 1000:1000 755', '/a/b/c/f 1000:1000 644',
      '/x 0:0 755', '/x/y 0:0 755', '/x/y/z 1000:1000 755', '/x/y/z/g 1000:1000 644',
      '/have 0:0 755', '/have/n 1000:1000 755', '/have/n/f 1000:1000 644',
      '/real 0:0 755', '/real/p 1000:1000 755', '/real/p/q 1000:1000 755', '/real/p/q/f 1000:1000 644',
    ]);
    // FROM scratch: the layer written from the items alone
    const b = await d.docker(['build', '--target', 'bare', '-t', 'copyown:bare', ctx], { timeout: 120000 });
    assert.equal(b.code, 0, b.stderr);
    const [layer] = await savedLayers(d, 'copyown:bare', ctx, 'bare');
    assert.deepEqual(await owners(layer!), ['1000/1000 a/', '1000/1000 a/b/', '1000/1000 a/b/f']);
  } finally {
    await d.docker(['rmi', 'copyown:1', 'copyown:bare']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('ADD of a local archive with --chown, as Docker 20.10: its entries keep their owners, the directories it makes are root\'s, and so are those of a later source', async () => {
  const d = t.d;
  // the archive path (the items go into a container through a tar): the directories --chown owns
  // come in the tar; what the private Docker 20.10.24 gave for this Dockerfile (2026-12-06)
  const ctx = await contextDir({
    Dockerfile: [
      'FROM busybox',
      'RUN mkdir /have',
      'ADD --chown=1000:1000 arch.tar /p/q/',
      'ADD --chown=1000:1000 arch.tgz /have/',
      'ADD --chown=1000:1000 arch.tar f /m/n/',
      'ADD --chown=1000:1000 f arch.tar /k/l/',
      '',
    ].join('\n'),
    f: 'hi\n',
    'src/d/f': 'f\n',
    'src/top': 't\n',
  });
  try {
    for (const [name, z] of [['arch.tar', ''], ['arch.tgz', 'z']]) {
      execFileSync('tar', [`-c${z}f`, `${ctx}/${name}`, '--owner=5', '--group=6', '--numeric-owner', '-C', `${ctx}/src`, 'd', 'top']);
    }
    const r = await d.docker(['build', '-t', 'addown:1', ctx], { timeout: 120000 });
    assert.equal(r.code, 0, r.stderr);
    const out = await d.dockerOk(['run', '--rm', 'addown:1', 'sh', '-c',
      'stat -c "%n %u:%g %a" /p /p/q /p/q/d /p/q/d/f /p/q/top /have /have/d /have/top /m /m/n /m/n/f /m/n/top /k /k/l /k/l/f /k/l/top']);
    assert.deepEqual(out.split('\n'), [
      '/p 0:0 755', '/p/q 0:0 755', '/p/q/d 5:6 755', '/p/q/d/f 5:6 644', '/p/q/top 5:6 644',
      '/have 0:0 755', '/have/d 5:6 755', '/have/top 5:6 644',
      '/m 0:0 755', '/m/n 0:0 755', '/m/n/f 1000:1000 644', '/m/n/top 5:6 644',
      '/k 1000:1000 755', '/k/l 1000:1000 755', '/k/l/f 1000:1000 644', '/k/l/top 5:6 644',
    ]);
  } finally {
    await d.docker(['rmi', 'addown:1']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});
