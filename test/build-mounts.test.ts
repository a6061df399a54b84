/**
 * RUN --mount with `from` against a real berthd: a bind of a directory of another stage or of an image
 * (read-only unless rw, whose writes are thrown away), a cache mount whose first use starts from a
 * stage's directory, the cache key following the source stage's content, and a missing source's error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxDaemon } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';
const t = busyboxDaemon();

const dockerfile = (toolData: string) => `FROM busybox AS tools
RUN mkdir -p /opt/tool /seed && echo ${toolData} > /opt/tool/data && echo seeded > /seed/s
FROM busybox
RUN --mount=type=bind,from=tools,source=/opt/tool,target=/mnt/t cat /mnt/t/data > /got && (touch /mnt/t/x 2>/dev/null && echo writable || echo read-only) >> /got
RUN --mount=type=bind,from=busybox,source=/bin,target=/mnt/b ls /mnt/b/busybox > /got2
RUN --mount=type=bind,from=tools,source=/opt/tool,target=/mnt/t,rw echo w > /mnt/t/new && cat /mnt/t/new > /got4
RUN --mount=type=cache,from=tools,source=/seed,target=/c,id=bt-seed-test cat /c/s > /got3 && echo more > /c/more
RUN --mount=type=cache,id=bt-seed-test,target=/c2 ls /c2 > /got5
`;

test('RUN --mount from a stage or an image: binds, rw thrown away, a cache seeded once', async () => {
  const ctx = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-mount-'));
  try {
    await fsp.writeFile(path.join(ctx, 'Dockerfile'), dockerfile('v1'));
    const r = await t.d.docker(['build', '-t', 'mnt:1', ctx], { timeout: 180000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const show = await t.d.dockerOk(['run', '--rm', 'mnt:1', 'sh', '-c', 'cat /got /got2 /got4 /got3 /got5; ls /opt/tool 2>&1; ls /mnt/t 2>/dev/null | wc -l']);
    assert.deepEqual(show.split('\n'), ['v1', 'read-only', '/mnt/b/busybox', 'w', 'seeded', 'more', 's', 'ls: /opt/tool: No such file or directory', '0']);
    // the tools stage's own image has no `new` from the rw bind
    const again = await t.d.docker(['build', '-t', 'mnt:1', ctx], { timeout: 180000 });
    assert.equal(again.code, 0);
    assert.doesNotMatch(again.stdout, /Running in/);
    // another content in the source stage: the binding steps miss
    await fsp.writeFile(path.join(ctx, 'Dockerfile'), dockerfile('v2'));
    const changed = await t.d.docker(['build', '-t', 'mnt:1', ctx], { timeout: 180000 });
    assert.equal(changed.code, 0, changed.stderr + changed.stdout);
    assert.match(changed.stdout.split(/^Step /m).find((s) => s.startsWith('4/8 : RUN --mount=type=bind,from=tools'))!, /Running in/);
    assert.equal(await t.d.dockerOk(['run', '--rm', 'mnt:1', 'head', '-1', '/got']), 'v2');

    await fsp.writeFile(path.join(ctx, 'Dockerfile'), 'FROM busybox AS a\nFROM busybox\nRUN --mount=type=bind,from=a,source=/nope,target=/m true\n');
    const bad = await t.d.docker(['build', ctx], { timeout: 180000 });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /"\/nope" not found/);
  } finally {
    await t.d.docker(['rmi', 'mnt:1']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});
