/**
 * Image builds through a real berthd with the docker CLI's legacy builder (DOCKER_BUILDKIT=0): a
 * multi-stage Dockerfile of the kind real projects write, checked by running the image and inspecting
 * its config and history; the cache (hits, misses after a change, across a daemon restart, prune);
 * stages the target does not need; stages that only succeed when they run at the same time; failures
 * with Docker's texts; contexts and paths that try to leave the context.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { busyboxDaemon, runCmd, contextDir } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';
const t = busyboxDaemon();

const build = (args: string[], opts: { input?: string } = {}) => t.d.docker(['build', ...args], { timeout: 180000, ...opts });

const APP = {
  Dockerfile: `# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM \${BASE} AS deps
ARG VERSION=1.0
RUN mkdir -p /out && echo "deps $VERSION" > /out/deps.txt

FROM busybox AS unused
RUN echo this stage must never run && exit 1

FROM \${BASE}
LABEL org.opencontainers.image.title="demo app" maintainer=me
ENV APP_HOME=/srv/app \\
# comment lines inside a continuation are dropped
    MODE=production
WORKDIR \$APP_HOME
COPY --from=deps /out/deps.txt ./
COPY src/ ./src/
COPY --chmod=0755 <<EOF /usr/local/bin/start
#!/bin/sh
echo "mode=\$MODE home=\$APP_HOME"
cat \$APP_HOME/deps.txt \$APP_HOME/src/*.txt
EOF
RUN <<EOF
set -e
echo 'app:x:1234:1234:app:/home/app:/bin/sh' >> /etc/passwd
chown -R app \$APP_HOME
EOF
USER app
EXPOSE 8080/tcp 9090
HEALTHCHECK --interval=30s --timeout=3s CMD test -f /srv/app/deps.txt
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/start"]
`,
  '.dockerignore': '**/*.log\nsrc/secret\n',
  'src/a.txt': 'alpha\n',
  'src/b.txt': 'beta\n',
  'src/debug.log': 'ignored\n',
  'src/secret': 'must not be copied\n',
};

test('docker build (legacy builder): a multi-stage Dockerfile, run and inspected', async () => {
  const d = t.d;
  const ctx = await contextDir(APP);
  try {
    const r = await build(['-t', 'demo:1', '--build-arg', 'VERSION=2.5', '--build-arg', 'UNUSED=x', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    // the ARG before the first FROM is a step of its own, as the classic builder counts it
    assert.match(r.stdout, /^Step 1\/\d+ : ARG BASE=busybox\nStep 2\/\d+ : FROM \$\{BASE\} AS deps$/m);
    assert.doesNotMatch(r.stdout, /this stage must never run/);
    assert.match(r.stdout, / ---> Running in [0-9a-f]{12}\n/);
    assert.match(r.stdout, /\nRemoving intermediate container [0-9a-f]{12}\n/);
    assert.match(r.stdout, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
    assert.match(r.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged demo:1\n/);
    const out = await d.dockerOk(['run', '--rm', 'demo:1']);
    assert.equal(out, 'mode=production home=/srv/app\ndeps 2.5\nalpha\nbeta');
    const files = await d.dockerOk(['run', '--rm', '--entrypoint', 'sh', 'demo:1', '-c', 'id -u; ls -A /srv/app/src; stat -c %a /usr/local/bin/start; pwd']);
    assert.equal(files, '1234\na.txt\nb.txt\n755\n/srv/app');
    const cfg = JSON.parse(await d.dockerOk(['image', 'inspect', '-f', '{{json .Config}}', 'demo:1'])) as Record<string, unknown>;
    assert.equal(cfg.User, 'app');
    assert.equal(cfg.WorkingDir, '/srv/app');
    assert.deepEqual(cfg.Entrypoint, ['/usr/local/bin/start']);
    assert.ok(cfg.Cmd == null, 'ENTRYPOINT resets the CMD of the base image');
    assert.deepEqual(cfg.ExposedPorts, { '8080/tcp': {}, '9090/tcp': {} });
    assert.equal(cfg.StopSignal, 'SIGINT');
    assert.deepEqual(cfg.Labels, { 'org.opencontainers.image.title': 'demo app', maintainer: 'me' });
    assert.deepEqual(cfg.Healthcheck, { Test: ['CMD-SHELL', 'test -f /srv/app/deps.txt'], Interval: 30e9, Timeout: 3e9 });
    assert.ok((cfg.Env as string[]).includes('MODE=production'));
    assert.ok(!(cfg.Env as string[]).some((e) => e.startsWith('VERSION=')), 'build args stay out of the image env');
    const hist = (await d.dockerOk(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'demo:1'])).split('\n');
    assert.equal(hist[0], '/bin/sh -c #(nop)  ENTRYPOINT ["/usr/local/bin/start"]');
    assert.ok(hist.includes('/bin/sh -c #(nop)  USER app'), hist.join('\n'));
    assert.ok(hist.some((h) => /^\/bin\/sh -c #\(nop\) COPY dir:[0-9a-f]{64} in \.\/src\/ $/.test(h)), hist.join('\n'));
    const layers = JSON.parse(await d.dockerOk(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'demo:1'])) as string[];
    const base = JSON.parse(await d.dockerOk(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'busybox'])) as string[];
    // the COPY --from, COPY src/, COPY heredoc, RUN and WORKDIR steps each add a layer; config steps none
    assert.equal(layers.length, base.length + 5);
    // the args of the deps stage are in its RUN's history, as Docker writes it
    const depsRun = await d.dockerOk(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'demo:1']);
    assert.doesNotMatch(depsRun, /this stage must never run/);

    // nothing changed: every step is a cache hit and the image is the same
    const again = await build(['-t', 'demo:1', '--build-arg', 'VERSION=2.5', ctx]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /Running in/);
    const id1 = /Successfully built ([0-9a-f]{12})/.exec(r.stdout)![1];
    assert.equal(/Successfully built ([0-9a-f]{12})/.exec(again.stdout)![1], id1);
    // a changed source file: the COPY misses, the stage before it still hits, and so does the deps stage
    await fsp.writeFile(path.join(ctx, 'src/b.txt'), 'beta 2\n');
    const changed = await build(['-t', 'demo:2', '--build-arg', 'VERSION=2.5', ctx]);
    assert.equal(changed.code, 0, changed.stderr);
    const steps = changed.stdout.split(/^Step /m).slice(1);
    const copySrc = steps.find((s) => s.includes(': COPY src/ ./src/'))!;
    assert.doesNotMatch(copySrc, /Using cache/);
    assert.match(steps.find((s) => s.includes(': RUN mkdir -p /out'))!, /Using cache/);
    assert.match(steps.find((s) => s.includes(': WORKDIR'))!, /Using cache/);
    assert.equal(await d.dockerOk(['run', '--rm', 'demo:2']), 'mode=production home=/srv/app\ndeps 2.5\nalpha\nbeta 2');
    // only a file's mtime changed: still a hit
    await fsp.utimes(path.join(ctx, 'src/a.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const touched = await build(['-t', 'demo:2', '--build-arg', 'VERSION=2.5', ctx]);
    assert.doesNotMatch(touched.stdout, /Running in/);
    // a different build arg value misses the RUN that uses it
    const other = await build(['-t', 'demo:3', '--build-arg', 'VERSION=3', ctx]);
    assert.match(other.stdout.split(/^Step /m).find((s) => s.includes(': RUN mkdir -p /out'))!, /Running in/);
    // --target builds the named stage only
    const tgt = await build(['-t', 'demo:deps', '--target', 'deps', ctx]);
    assert.equal(tgt.code, 0, tgt.stderr);
    assert.equal(await d.dockerOk(['run', '--rm', 'demo:deps', 'cat', '/out/deps.txt']), 'deps 1.0');
    // no build containers are left
    assert.equal(await d.dockerOk(['ps', '-aq']), '');
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('independent stages run at the same time; RUN --mount=type=cache and tmpfs', async () => {
  const id = `sync-${process.pid}-${Date.now()}`;
  // each stage waits for the other's mark in a shared cache mount: this only succeeds when both run at once
  const wait = (me: string, other: string) => `RUN --mount=type=cache,target=/sync,id=${id} touch /sync/${me} && i=0; while [ ! -f /sync/${other} ]; do i=$((i+1)); [ $i -gt 300 ] && exit 7; sleep 0.1; done`;
  const ctx = await contextDir({
    Dockerfile: `FROM busybox AS a\n${wait('a', 'b')}\nRUN echo a > /a\nFROM busybox AS b\n${wait('b', 'a')}\nRUN echo b > /b\nFROM busybox\nCOPY --from=a /a /a\nCOPY --from=b /b /b\nRUN --mount=type=tmpfs,target=/scratch touch /scratch/x && cat /a /b\nRUN --mount=type=cache,target=/sync,id=${id} ls /sync\n`,
  });
  try {
    const r = await build(['-t', 'par:1', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(await t.d.dockerOk(['run', '--rm', 'par:1', 'cat', '/a', '/b']), 'a\nb');
    // what the mounts held is not in the image
    assert.equal(await t.d.dockerOk(['run', '--rm', 'par:1', 'sh', '-c', 'test ! -e /scratch/x && test ! -e /sync/a && echo clean']), 'clean');
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('failures: Docker\'s texts, exit codes, and what is left behind', async () => {
  const d = t.d;
  const ctx = await contextDir({ Dockerfile: 'FROM busybox\nRUN echo before\nRUN exit 3\n', 'Dockerfile.parse': 'FROM busybox\nRUNN echo\n' });
  try {
    const r = await build(['--force-rm', ctx]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/);
    assert.equal(await d.dockerOk(['ps', '-aq']), '', 'force-rm removes the failed container');
    // without force-rm Docker keeps the failed step's container, stopped and unmounted
    const kept = await build([ctx]);
    assert.notEqual(kept.code, 0);
    const ids = (await d.dockerOk(['ps', '-aq'])).split('\n').filter(Boolean);
    assert.equal(ids.length, 1);
    assert.equal(await d.dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', ids[0]!]), 'exited 3');
    const mounts = (await fsp.readFile('/proc/self/mounts', 'utf8')).split('\n').filter((l) => l.includes(ids[0]!.slice(0, 12)));
    assert.deepEqual(mounts, []);
    await d.dockerOk(['rm', ids[0]!]);

    const p = await build(['-f', path.join(ctx, 'Dockerfile.parse'), ctx]);
    assert.notEqual(p.code, 0);
    assert.match(p.stderr, /dockerfile parse error on line 2: unknown instruction: RUNN/);
    const missing = await d.docker(['build', '-f', 'nope', ctx]);
    assert.notEqual(missing.code, 0);
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('paths that leave the context are refused and nothing outside is read', async () => {
  const outside = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-outside-'));
  await fsp.writeFile(path.join(outside, 'secret'), 'host secret\n');
  const ctx = await contextDir({ Dockerfile: 'FROM busybox\nCOPY ../secret /x\n', 'Dockerfile.link': 'FROM busybox\nCOPY link /x\n', 'Dockerfile.dir': 'FROM busybox\nCOPY . /ctx/\n' });
  await fsp.symlink(path.join(outside, 'secret'), path.join(ctx, 'link'));
  try {
    const up = await build([ctx]);
    assert.notEqual(up.code, 0);
    assert.match(up.stderr + up.stdout, /forbidden path outside the build context: \.\.\/secret/);
    // an absolute symlink resolves inside the context: there is no such file there
    const link = await build(['-f', path.join(ctx, 'Dockerfile.link'), ctx]);
    assert.notEqual(link.code, 0);
    assert.doesNotMatch(link.stdout + link.stderr, /host secret/);
    // a symlink copied as part of a directory stays a symlink: its target is not read
    const dir = await build(['-t', 'links:1', '-f', path.join(ctx, 'Dockerfile.dir'), ctx]);
    assert.equal(dir.code, 0, dir.stderr);
    assert.equal(await t.d.dockerOk(['run', '--rm', 'links:1', 'readlink', '/ctx/link']), path.join(outside, 'secret'));
    // a context tar with a `..` entry is refused before anything is written
    const evil = path.join(outside, 'evil.tar');
    await runCmd('tar', ['-cf', evil, '-C', ctx, 'Dockerfile.dir']);
    await runCmd('python3', ['-c', `import tarfile,io\nt=tarfile.open(${JSON.stringify(evil)},'a')\ni=tarfile.TarInfo('../../escaped')\ni.size=2\nt.addfile(i,io.BytesIO(b'x\\n'))\nt.close()`]);
    const res = await runCmd('curl', ['-s', '--unix-socket', t.d.socket, '-X', 'POST', '-H', 'Content-Type: application/x-tar', '--data-binary', `@${evil}`, 'http://d/build?dockerfile=Dockerfile.dir']);
    assert.match(res.stdout, /leaves the context/);
    assert.deepEqual((await fsp.readdir(outside)).sort(), ['evil.tar', 'secret']);
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
    await fsp.rm(outside, { recursive: true, force: true });
  }
});

test('ADD unpacks local archives by content; a remote ADD that cannot be reached is a clear error', async () => {
  const ctx = await contextDir({ 'payload/x/hello.txt': 'hi from the archive\n' });
  try {
    await runCmd('tar', ['-czf', path.join(ctx, 'bundle.bin'), '-C', path.join(ctx, 'payload'), 'x']);
    await fsp.writeFile(path.join(ctx, 'Dockerfile'), 'FROM busybox\nADD bundle.bin /opt/\nCOPY bundle.bin /raw/\nRUN --mount=type=bind,source=payload,target=/p cat /p/x/hello.txt > /bound && ! touch /p/x/new 2>/dev/null\n');
    const r = await build(['-t', 'add:1', ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await t.d.dockerOk(['run', '--rm', 'add:1', 'cat', '/opt/x/hello.txt']), 'hi from the archive');
    assert.equal(await t.d.dockerOk(['run', '--rm', 'add:1', 'ls', '/raw']), 'bundle.bin');
    // RUN --mount=type=bind: the context, read-only, not in the layer
    assert.equal(await t.d.dockerOk(['run', '--rm', 'add:1', 'sh', '-c', 'cat /bound; ls /p 2>/dev/null | wc -l']), 'hi from the archive\n0');
    await fsp.writeFile(path.join(ctx, 'Dockerfile'), 'FROM busybox\nADD http://127.0.0.1:9/file.txt /f\n');
    const remote = await build([ctx]);
    assert.notEqual(remote.code, 0);
    assert.match(remote.stderr, /failed to GET http:\/\/127\.0\.0\.1:9\/file\.txt/);
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});
