/**
 * Image builds from the other clients users have: dockerode (buildImage with a tar stream), Debian's
 * python3-docker (`client.images.build`, its errors), Berth's own CLI (`berth build`, a Dockerfile on
 * stdin, --iidfile, -q); and the build cache's life: across a daemon restart, after a daemon killed in
 * the middle of a build, in `docker system df`, emptied by `docker builder prune`; a client that goes
 * away cancels its build and leaves nothing behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import os from 'node:os';
import Docker from 'dockerode';
import { busyboxDaemon, runCmd, waitFor, contextDir, tarOf } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';
const t = busyboxDaemon();

/** Starts POST /build with a context; resolves once `until` shows in the stream, with the request. */
function startBuild(socket: string, ctx: Buffer, until: RegExp): Promise<{ req: http.ClientRequest; seen: string }> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const req = http.request({ socketPath: socket, method: 'POST', path: '/build?t=cancel:1', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      res.on('data', (c: Buffer) => {
        seen += c.toString();
        if (until.test(seen)) resolve({ req, seen });
      });
      res.on('error', () => undefined);
      res.on('end', () => reject(new Error(`build ended before ${until}: ${seen}`)));
    });
    req.on('error', () => undefined);
    req.end(ctx);
  });
}

test('dockerode: buildImage with a tar stream, the image runs', async () => {
  const docker = new Docker({ socketPath: t.d.socket });
  const ctx = await tarOf({ Dockerfile: 'FROM busybox\nARG WHO\nCOPY hello.txt /\nRUN echo "hello $WHO" >> /hello.txt\nCMD ["cat", "/hello.txt"]\n', 'hello.txt': 'from dockerode\n' });
  const stream = await docker.buildImage(Buffer.from(ctx) as unknown as NodeJS.ReadableStream, { t: 'dode:1', buildargs: { WHO: 'world' } });
  const events = await new Promise<{ stream?: string; aux?: { ID: string }; error?: string }[]>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, res: { stream?: string }[]) => (err ? reject(err) : resolve(res)));
  });
  assert.ok(!events.some((e) => e.error), JSON.stringify(events));
  const id = events.find((e) => e.aux)?.aux?.ID;
  assert.match(id ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal((await docker.getImage('dode:1').inspect()).Id, id);
  assert.equal(await t.d.dockerOk(['run', '--rm', 'dode:1']), 'from dockerode\nhello world');
});

test('python3-docker: images.build, BuildError for a failed RUN, APIError for a parse error', async () => {
  const ctx = await contextDir({ Dockerfile: 'FROM busybox\nRUN echo built by python > /who\nCMD ["cat", "/who"]\n', 'Dockerfile.fail': 'FROM busybox\nRUN echo nope && exit 4\n', 'Dockerfile.bad': 'FROM busybox\nCOPPY x y\n' });
  try {
    const script = `
import docker, sys
c = docker.DockerClient(base_url=sys.argv[1])
img, logs = c.images.build(path=sys.argv[2], tag='py:1', rm=True)
print('ID', img.id, 'TAGS', img.tags)
ctr = c.containers.create('py:1')
ctr.start()
ctr.wait()
print('RUN', ctr.logs().decode().strip())
ctr.remove()
try:
    c.images.build(path=sys.argv[2], dockerfile='Dockerfile.fail', forcerm=True)
except docker.errors.BuildError as e:
    print('BUILDERROR', e.msg)
try:
    c.images.build(path=sys.argv[2], dockerfile='Dockerfile.bad')
except docker.errors.APIError as e:
    print('APIERROR', e.status_code, e.explanation)
img2, _ = c.images.build(path=sys.argv[2], tag='py:1', quiet=True)
print('QUIET', img2.id == img.id)
`;
    const r = await runCmd('python3', ['-c', script, t.d.host, ctx], { timeout: 180000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID sha256:[0-9a-f]{64} TAGS \['py:1'\]$/m);
    assert.match(r.stdout, /^RUN built by python$/m);
    assert.match(r.stdout, /^BUILDERROR The command '\/bin\/sh -c echo nope && exit 4' returned a non-zero code: 4$/m);
    assert.match(r.stdout, /^APIERROR 400 dockerfile parse error on line 2: unknown instruction: COPPY$/m);
    assert.match(r.stdout, /^QUIET True$/m);
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('berth build: a directory, a Dockerfile on stdin, -q and --iidfile, plain progress', async () => {
  const d = t.d;
  const ctx = await contextDir({ Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN ls -A /ctx\n', 'a.txt': 'a\n', 'skip.tmp': 'x\n', '.dockerignore': '*.tmp\n' });
  try {
    const r = await d.berth(['build', '--progress=plain', '-t', 'bb:1', ctx], { timeout: 120000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Step 3\/3 : RUN ls -A \/ctx\n ---> Running in [0-9a-f]{12}\n\.dockerignore\nDockerfile\na\.txt\n/);
    const iid = path.join(ctx, '..', `${path.basename(ctx)}.iid`);
    const q = await d.berth(['build', '-q', '--iidfile', iid, '-t', 'bb:2', '-'], { input: 'FROM busybox\nLABEL from=stdin\n', timeout: 120000 });
    assert.equal(q.code, 0, q.stderr);
    const id = (await fsp.readFile(iid, 'utf8')).trim();
    await fsp.rm(iid);
    assert.equal(q.stdout.trim(), id);
    assert.equal(await d.dockerOk(['image', 'inspect', '-f', '{{index .Config.Labels "from"}}', 'bb:2']), 'stdin');
    const bad = await d.berth(['build', '-'], { input: 'FROM busybox\nRUN exit 5\n', timeout: 120000 });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The command '\/bin\/sh -c exit 5' returned a non-zero code: 5/);
    for (const c of (await d.dockerOk(['ps', '-aq'])).split('\n').filter(Boolean)) await d.dockerOk(['rm', c]);
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('the cache survives a restart, shows in system df, and builder prune empties it', async () => {
  const d = t.d;
  const ctx = await contextDir({ Dockerfile: 'FROM busybox\nRUN echo one > /one\nCOPY f /f\nRUN cat /one /f > /both\n', f: 'file\n' });
  try {
    assert.equal((await d.docker(['build', '-t', 'cached:1', ctx], { timeout: 120000 })).code, 0);
    await d.halt('SIGTERM');
    await d.start();
    const again = await d.docker(['build', '-t', 'cached:1', ctx], { timeout: 120000 });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 3);
    const df = JSON.parse((await d.request('GET', '/system/df')).body) as { BuildCache: { Size: number; UsageCount: number }[] };
    assert.ok(df.BuildCache.length >= 3);
    assert.ok(df.BuildCache.some((c) => c.Size > 0 && c.UsageCount >= 2));
    assert.match(await d.dockerOk(['system', 'df']), /Build Cache\s+\d+/);
    const pruned = await d.dockerOk(['builder', 'prune', '-af']);
    assert.match(pruned, /Total reclaimed space: \d/);
    const df2 = JSON.parse((await d.request('GET', '/system/df')).body) as { BuildCache: unknown[] };
    assert.equal(df2.BuildCache.length, 0);
    const cold = await d.docker(['build', '-t', 'cached:1', ctx], { timeout: 120000 });
    assert.equal((cold.stdout.match(/Using cache/g) ?? []).length, 0);
    assert.equal(await d.dockerOk(['run', '--rm', 'cached:1', 'cat', '/both']), 'one\nfile');
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('a client that disconnects cancels the build: the step stops, its container goes', async () => {
  const d = t.d;
  const ctx = await tarOf({ Dockerfile: 'FROM busybox\nRUN echo $((6*7))-ready && sleep 120\n' });
  const { req } = await startBuild(d.socket, ctx, /42-ready/);
  req.destroy();
  await waitFor(async () => (await d.dockerOk(['ps', '-aq'])) === '', 20000, 'the build container to be removed');
  const left = (await fsp.readFile('/proc/self/mounts', 'utf8')).split('\n').filter((l) => l.includes(`${d.dataRoot}/`) && /\/merged /.test(l));
  assert.deepEqual(left, []);
});

test('a daemon killed mid-build leaves no cache entry for the unfinished step and no step container', async () => {
  const d = t.d;
  const ctx = await tarOf({ Dockerfile: 'FROM busybox\nRUN echo $((5*5))-go && sleep 3 && echo done > /f\n' });
  await startBuild(d.socket, ctx, /25-go/);
  await d.halt('SIGKILL');
  await d.start();
  await waitFor(async () => (await d.dockerOk(['ps', '-aq'])) === '', 20000, 'the orphaned step container to be removed');
  const r = await d.docker(['build', '-t', 'after-kill:1', '-'], { input: 'FROM busybox\nRUN echo $((5*5))-go && sleep 3 && echo done > /f\n', timeout: 120000 });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /Using cache/);
  assert.equal(await d.dockerOk(['run', '--rm', 'after-kill:1', 'cat', '/f']), 'done');
});
