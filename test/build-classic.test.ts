/**
 * What the classic builder (Docker 20.10, DOCKER_BUILDKIT=0) writes, checked side by side with a real
 * dockerd: history's created_by texts (LABEL, SHELL, WORKDIR, ONBUILD, EXPOSE, COPY's destination as
 * written and its `--chown=`), `--label` as one LABEL step per label, the ARGs before the first FROM as
 * steps, the JSON stream's message boundaries and order, and the texts of its errors. The expected texts
 * are Docker 20.10's, taken from its output for the same Dockerfiles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import { busyboxDaemon, contextDir, postBuild, tarOf } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';
const t = busyboxDaemon();

const build = (args: string[]) => t.d.docker(['build', ...args], { timeout: 180000 });

async function withContext<T>(files: Record<string, string>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await contextDir(files);
  try {
    return await fn(dir);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

test('history records each instruction as the classic builder writes it', async () => {
  const df = [
    'FROM busybox',
    'ARG U=1',
    'LABEL a="x y" b=c "d e"=f',
    'SHELL ["/bin/sh", "-ec"]',
    'WORKDIR rel',
    'ONBUILD copy f /f',
    'EXPOSE 90/udp 80 100-102',
    'COPY --chown=$U:2 f sub/',
    'COPY f .',
    '',
  ].join('\n');
  await withContext({ Dockerfile: df, f: 'f\n' }, async (ctx) => {
    const r = await build(['--no-cache', '-t', 'classic:hist', '--label', 'z=1', '--label', 'k=2 $X', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    // one LABEL step per --label, sorted, the value not substituted
    assert.match(r.stdout, /Step 10\/11 : LABEL k=2 \$X\n[\s\S]*Step 11\/11 : LABEL z=1\n/);
    const hist = (await t.d.dockerOk(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'classic:hist'])).split('\n').filter(Boolean)
      .map((h) => h.replace(/:[0-9a-f]{64}/, ':H'));
    assert.deepEqual(hist.reverse(), [
      '/bin/sh -c #(nop)  ARG U=1',
      '/bin/sh -c #(nop)  LABEL a=x y b=c d e=f',
      '/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]',
      '/bin/sh -ec #(nop) WORKDIR /rel',
      '/bin/sh -ec #(nop)  ONBUILD copy f /f',
      '/bin/sh -ec #(nop)  EXPOSE 100-102 80 90/udp',
      '/bin/sh -ec #(nop) COPY --chown=1:2file:H in sub/ ',
      '/bin/sh -ec #(nop) COPY file:H in . ',
      '/bin/sh -ec #(nop)  LABEL k=2 $X',
      '/bin/sh -ec #(nop)  LABEL z=1',
    ]);
    const cfg = JSON.parse(await t.d.dockerOk(['image', 'inspect', '-f', '{{json .Config}}', 'classic:hist'])) as Record<string, unknown>;
    assert.deepEqual(cfg.Labels, { a: 'x y', b: 'c', 'd e': 'f', k: '2 $X', z: '1' });
    assert.deepEqual(cfg.OnBuild, ['copy f /f']);
    const ls = await t.d.dockerOk(['run', '--rm', '--entrypoint', '', 'classic:hist', 'sh', '-c', 'stat -c "%n %u:%g" /rel/sub/f /rel/f']);
    assert.equal(ls, '/rel/sub/f 1:2\n/rel/f 0:0');
    await t.d.docker(['rmi', 'classic:hist']);
  });
});

/** POST /build of a context holding only a Dockerfile: the status and the JSON stream's objects. */
async function apiBuild(query: string, dockerfile: string): Promise<{ status: number; objects: Record<string, unknown>[]; body: string }> {
  const r = await postBuild(t.d, query, await tarOf({ Dockerfile: dockerfile }));
  const objects = r.status === 200 ? r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
  return { status: r.status, objects, body: r.text };
}

test('the JSON stream: meta ARG steps, a Step line and its newline apart, the ID before the unused-args warning, parser warnings in red', async () => {
  const r = await apiBuild(`nocache=1&buildargs=${encodeURIComponent(JSON.stringify({ UNUSED: '1' }))}`, 'ARG B=busybox\nFROM $B\nRUN echo a \\\n\n  b\n');
  assert.equal(r.status, 200);
  const streams = r.objects.map((o) => (o.aux ? 'AUX' : String(o.stream ?? o.error)));
  assert.equal(streams[0], '\x1b[91m[WARNING]: Empty continuation line found in:\n    RUN echo a   b\n[WARNING]: Empty continuation lines will become errors in a future release.\n\x1b[0m');
  assert.deepEqual(streams.slice(1, 6), ['Step 1/3 : ARG B=busybox', '\n', 'Step 2/3 : FROM $B', '\n', streams[5]]);
  assert.match(streams[5]!, /^ ---> [0-9a-f]{12}\n$/);
  assert.deepEqual(streams.slice(-3).map((s) => s.replace(/[0-9a-f]{12}/, 'ID')), [
    'AUX', '[Warning] One or more build-args [UNUSED] were not consumed\n', 'Successfully built ID\n',
  ]);
});

test('error texts: COPY/ADD failed:, --chown lookups, the parser\'s own errors name the file, no stage', async () => {
  const cases: [string, string | RegExp][] = [
    ['FROM busybox\nCOPY nope /m\n', 'COPY failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist'],
    ['FROM busybox\nADD *.nope /m/\n', 'ADD failed: no source files were specified'],
    ['FROM busybox\nCOPY ../x /m\n', 'COPY failed: forbidden path outside the build context: ../x ()'],
    ['FROM busybox\nADD Dockerfile Dockerfile /m\n', 'When using ADD with more than one source file, the destination must be a directory and end with a /'],
    ['FROM busybox\nCOPY --chown=nouser Dockerfile /n\n', 'unable to convert uid/gid chown string to host mapping: can\'t find uid for user nouser: no such user: nouser'],
    ['FROM busybox\nCOPY --chown=root:nogrp Dockerfile /n\n', 'unable to convert uid/gid chown string to host mapping: can\'t find gid for group nogrp: no such group: nogrp'],
    ['FROM busybox\nCOPY --chown=1:2:3 Dockerfile /n\n', 'unable to convert uid/gid chown string to host mapping: invalid chown string format: 1:2:3'],
    ['FROM busybox\nSTOPSIGNAL FOO\n', 'Invalid signal: FOO'],
  ];
  for (const [df, want] of cases) {
    const r = await apiBuild('nocache=1', df);
    assert.equal(r.status, 200, df + r.body);
    const err = r.objects.find((o) => o.error);
    assert.equal(err?.error, want, df);
  }
  // errors found before anything runs are the response's status
  const early: [string, string][] = [
    ['RUN echo\n', 'no build stage in current context'],
    ['FROM busybox\nENV A\n', 'failed to parse Dockerfile: ENV must have two arguments'],
    ['# escape=x\nFROM busybox\n', 'failed to parse Dockerfile: invalid escape token \'x\' does not match ` or \\'],
    ['\n# nothing\n', 'failed to parse Dockerfile: file with no instructions'],
    ['FROM busybox\nARG\n', 'dockerfile parse error on line 2: ARG requires at least one argument'],
    ['FROM busybox\nHEALTHCHECK --interval=1us CMD x\n', 'dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms'],
  ];
  for (const [df, want] of early) {
    const r = await apiBuild('nocache=1', df);
    assert.equal(r.status, 400, df + r.body);
    assert.equal((JSON.parse(r.body) as { message: string }).message, want, df);
  }
  // accepted as the classic builder accepts them: USER's and STOPSIGNAL's whole rest, LABEL's legacy form
  const ok = await apiBuild('nocache=1&t=classic:ok', 'FROM busybox\nUSER a b\nLABEL key some value\nSTOPSIGNAL 9\n');
  assert.ok(!ok.objects.some((o) => o.error), ok.body);
  const cfg = JSON.parse(await t.d.dockerOk(['image', 'inspect', '-f', '{{json .Config}}', 'classic:ok'])) as Record<string, unknown>;
  assert.equal(cfg.User, 'a b');
  assert.deepEqual(cfg.Labels, { key: 'some value' });
  assert.equal(cfg.StopSignal, '9');
  await t.d.docker(['rmi', 'classic:ok']);
});

test('ADD unpacks tar archives plain, gzip, bzip2 and xz (by content, into the destination); other files are copied; bzip2 and xz contexts', async () => {
  const { execFileSync } = await import('node:child_process');
  const tarball = await tarOf({ 'in/t1': { body: 'one\n', mode: 0o640 } });
  const ctx = await contextDir({
    Dockerfile: 'FROM busybox\nADD plain.tar /p\nADD g.tgz /g/\nADD b.bin /b/\nADD x.dat /x\nADD notar.gz /n/\nRUN find /p /g /b /x /n | sort\n',
  });
  try {
    await fsp.writeFile(`${ctx}/plain.tar`, tarball);
    await fsp.writeFile(`${ctx}/g.tgz`, execFileSync('gzip', ['-c'], { input: tarball }));
    await fsp.writeFile(`${ctx}/b.bin`, execFileSync('bzip2', ['-c'], { input: tarball }));
    await fsp.writeFile(`${ctx}/x.dat`, execFileSync('xz', ['-c'], { input: tarball }));
    await fsp.writeFile(`${ctx}/notar.gz`, execFileSync('gzip', ['-c'], { input: 'just text\n' }));
    const r = await build(['--no-cache', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /\n\/b\n\/b\/in\n\/b\/in\/t1\n\/g\n\/g\/in\n\/g\/in\/t1\n\/n\n\/n\/notar\.gz\n\/p\n\/p\/in\n\/p\/in\/t1\n\/x\n\/x\/in\n\/x\/in\/t1\n/);

    // the context itself as bzip2 and as xz
    const ctxTar = execFileSync('tar', ['-C', ctx, '-c', 'Dockerfile', 'plain.tar', 'g.tgz', 'b.bin', 'x.dat', 'notar.gz']);
    for (const tool of ['bzip2', 'xz']) {
      const body = execFileSync(tool, ['-c'], { input: ctxTar });
      const r = await postBuild(t.d, 'q=1', body);
      const text = `${r.status} ${r.text}`;
      assert.match(text, /^200 \{"stream":"sha256:[0-9a-f]{64}\\n"\}\n$/, tool);
    }
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('ADD of an archive cut short fails the build with an error; the daemon lives on and leaves nothing', async () => {
  const { execFileSync } = await import('node:child_process');
  const { randomBytes } = await import('node:crypto');
  const tarball = await tarOf({ 'big.bin': randomBytes(256 << 10) });
  const gz = execFileSync('gzip', ['-c'], { input: tarball });
  await withContext({ Dockerfile: 'FROM busybox\nADD broken.tgz /x/\n', 'cut.tar': '' }, async (ctx) => {
    await fsp.writeFile(`${ctx}/broken.tgz`, gz.subarray(0, gz.length >> 1));
    await fsp.writeFile(`${ctx}/Dockerfile.tar`, 'FROM busybox\nADD cut.tar /y/\n');
    await fsp.writeFile(`${ctx}/cut.tar`, tarball.subarray(0, 100 << 10));
    for (const df of ['Dockerfile', 'Dockerfile.tar']) {
      const r = await build(['--no-cache', '-f', `${ctx}/${df}`, ctx]);
      assert.notEqual(r.code, 0, df);
      assert.match(r.stderr, /ADD failed|unexpected end|EOF/i, df);
      assert.equal((await t.d.request('GET', '/_ping')).status, 200, `the daemon is up after ${df}`);
    }
    assert.equal(await t.d.dockerOk(['ps', '-aq']), '');
  });
});

test('ONBUILD triggers run inside the FROM step: one image id line, after them', async () => {
  await withContext({ Dockerfile: 'FROM busybox AS p\nONBUILD RUN echo trig > /t\nONBUILD ARG Q=1\nFROM p\nRUN cat /t\n' }, async (ctx) => {
    const r = await build(['--no-cache', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const from = r.stdout.split(/^Step /m).find((s) => s.startsWith('4/5 : FROM p'))!;
    assert.match(from, /^4\/5 : FROM p\n# Executing 2 build triggers\n ---> Running in [0-9a-f]{12}\nRemoving intermediate container [0-9a-f]{12}\n ---> Running in [0-9a-f]{12}\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n$/);
    assert.match(r.stdout, /Step 5\/5 : RUN cat \/t\n ---> Running in [0-9a-f]{12}\ntrig\n/);
  });
});

test('POST /build/prune: an unknown or broken filter is refused and prunes nothing; type/inuse select all or none', async () => {
  const built = await apiBuild('nocache=1', 'FROM busybox\nENV PRUNE=me\n');
  assert.ok(!built.objects.some((o) => o.error), built.body);
  const count = async () => ((await t.d.request('GET', '/system/df')).json() as { BuildCache: unknown[] }).BuildCache.length;
  const before = await count();
  assert.ok(before > 0);
  const prune = (filters: Record<string, string[]>, extra = '') => t.d.request('POST', `/build/prune?filters=${encodeURIComponent(JSON.stringify(filters))}${extra}`);
  const bad = await prune({ bogus: ['x'] });
  assert.equal(bad.status, 400);
  assert.equal(bad.json().message, 'failed to prune build cache: Invalid filter \'bogus\'');
  const until = await prune({ until: ['bad'] });
  assert.equal(until.status, 400);
  assert.equal(until.json().message, 'failed to prune build cache: "until" filter expects a duration (e.g., \'24h\'): time: invalid duration "bad"');
  const keep = await prune({}, '&keep-storage=abc');
  assert.equal(keep.status, 400);
  assert.match(keep.json().message, /^keep-storage is in bytes and expects an integer, got abc/);
  for (const f of [{ type: ['exec.cachemount'] }, { inuse: ['true'] }, { shared: ['true'] }] as Record<string, string[]>[]) {
    const r = await prune(f);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { CachesDeleted: null, SpaceReclaimed: 0 });
  }
  assert.equal(await count(), before);
  const all = await prune({ type: ['regular'], inuse: ['false'] });
  assert.equal(all.status, 200);
  assert.equal((all.json() as { CachesDeleted: string[] }).CachesDeleted.length, before);
  assert.equal(await count(), 0);
});

test('remote contexts and ADD URLs reach any port (fetch()\'s "bad ports" too), with dockerd\'s error text', async () => {
  const ctxTar = await tarOf({ Dockerfile: 'FROM busybox\nCOPY f /f\n', f: 'from the remote tar\n' });
  const server = http.createServer((req, res) => {
    if (req.url === '/ctx.tar') res.end(ctxTar);
    else if (req.url === '/file.txt') res.end('added over http\n');
    else { res.statusCode = 404; res.end('no'); }
  });
  // ports the Fetch standard blocks (X11, IRC): Go's client, and so dockerd, take them
  let port = 0;
  for (const p of [6000, 6665, 6666, 6667, 6668, 6669, 10080]) {
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(p, '127.0.0.1', () => resolve(true));
    });
    if (ok) { port = p; break; }
  }
  assert.ok(port, 'no blocked port free');
  try {
    const base = `http://127.0.0.1:${port}`;
    const remote = (query: string) => t.d.request('POST', `/v1.41/build?${query}`);
    const r = await remote(`t=classic:remote&remote=${encodeURIComponent(`${base}/ctx.tar`)}`);
    assert.equal(r.status, 200, r.body);
    assert.doesNotMatch(r.body, /"error"/);
    assert.equal(await t.d.dockerOk(['run', '--rm', 'classic:remote', 'cat', '/f']), 'from the remote tar');
    const missing = await remote(`remote=${encodeURIComponent(`${base}/nothing.tar`)}`);
    assert.equal(missing.status, 400);
    assert.equal(missing.json().message, `error downloading remote context ${base}/nothing.tar: failed to GET ${base}/nothing.tar with status 404 Not Found`);
    const add = await apiBuild('t=classic:addurl&nocache=1', `FROM busybox\nADD ${base}/file.txt /got/\nRUN cat /got/file.txt\n`);
    assert.ok(!add.objects.some((o) => o.error), add.body);
    assert.ok(add.objects.some((o) => o.stream === 'added over http\n'), add.body);
  } finally {
    server.close();
    await t.d.docker(['rmi', 'classic:remote', 'classic:addurl']);
  }
});

test('image inspect: a built image\'s Config has the keys and order of Docker\'s', async () => {
  const r = await apiBuild('t=classic:shape&nocache=1', 'FROM busybox\nRUN echo hi\n');
  assert.ok(!r.objects.some((o) => o.error), r.body);
  const cfg = (await t.d.request('GET', '/v1.47/images/classic:shape/json')).json().Config as Record<string, unknown>;
  // Docker 20.10's answer for the same Dockerfile on the same busybox (Image is the parent's id)
  assert.deepEqual(Object.keys(cfg), ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin',
    'StdinOnce', 'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels']);
  assert.deepEqual({ ...cfg, Image: '' }, {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false,
    StdinOnce: false, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], Image: '', Volumes: null,
    WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
  });
  assert.match(cfg.Image as string, /^sha256:[0-9a-f]{64}$/);
  await t.d.docker(['rmi', 'classic:shape']);
});

test('FROM scratch writes an empty id line; a RUN as a user passwd does not know has HOME=/ (as runc sets it), in builds and containers', async () => {
  const scratch = await apiBuild('nocache=1', 'FROM scratch\nENV A=1\n');
  const streams = scratch.objects.map((o) => String(o.stream ?? ''));
  assert.deepEqual(streams.slice(0, 3), ['Step 1/2 : FROM scratch', '\n', ' ---> \n']);
  const r = await apiBuild('nocache=1&t=classic:home', 'FROM busybox\nUSER 1000:1000\nRUN echo "home=[$HOME]"\nUSER nobody\nRUN echo "home=[$HOME]"\n');
  assert.ok(!r.objects.some((o) => o.error), r.body);
  assert.deepEqual(r.objects.map((o) => o.stream).filter((s) => String(s).startsWith('home=')), ['home=[/]\n', 'home=[/home]\n']);
  assert.equal(await t.d.dockerOk(['run', '--rm', '--user', '1000', 'classic:home', 'sh', '-c', 'echo "[$HOME]"']), '[/]');
  assert.equal(await t.d.dockerOk(['run', '--rm', '--user', 'root', '-e', 'HOME=/set', 'classic:home', 'sh', '-c', 'echo "[$HOME]"']), '[/set]');
  await t.d.docker(['rmi', 'classic:home']);
});

test('docker build -f - (the CLI sends the context tar without its end blocks) builds', async () => {
  await withContext({ Dockerfile: 'FROM busybox\nRUN false\n', f: 'from the context\n' }, async (ctx) => {
    const r = await t.d.docker(['build', '-q', '-t', 'classic:stdin-df', '-f', '-', ctx], { input: 'FROM busybox\nCOPY f /f\n', timeout: 180000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(await t.d.dockerOk(['run', '--rm', 'classic:stdin-df', 'cat', '/f']), 'from the context');
    await t.d.docker(['rmi', 'classic:stdin-df']);
  });
});

test('MAINTAINER is taken as written (no substitution), in Author and history', async () => {
  const r = await apiBuild('nocache=1&t=classic:maint', 'FROM busybox\nENV M=me\nMAINTAINER $M <x@y>\n');
  assert.ok(!r.objects.some((o) => o.error), r.body);
  assert.equal(await t.d.dockerOk(['image', 'inspect', '-f', '{{.Author}}', 'classic:maint']), '$M <x@y>');
  assert.equal((await t.d.dockerOk(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'classic:maint'])).split('\n')[0], '/bin/sh -c #(nop)  MAINTAINER $M <x@y>');
  await t.d.docker(['rmi', 'classic:maint']);
});
