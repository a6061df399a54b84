/**
 * `berth build` against berthd sends a directory it built before as a delta (client/buildcontext.ts,
 * build/context/receive.ts): the image is the one the whole context gives (the docker CLI's build of the
 * same directory), a base the daemon no longer has falls back to the whole context, and a delta from a
 * client that claimed no kept copy, or one naming what is not kept, is refused with nothing changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tar from 'tar-stream';
import type { Readable } from 'node:stream';
import { Transport } from '../src/client/transport.js';
import { DaemonError } from '../src/client/errors.js';
import { contextIgnore, contextKey, keptContext, packContext, PAX_SAME } from '../src/client/buildcontext.js';
import { busyboxDaemon, contextDir } from './harness.js';

process.env.DOCKER_BUILDKIT = '0';
const t = busyboxDaemon();

/** A stamp is given to a path unchanged for 2 s (client/buildcontext.ts): the test waits that long. */
const SETTLE_MS = 2100;

// the root (/ctx) is left out: its time is the one its context was received at, as with Docker
const LIST = 'cd /ctx && find . -mindepth 1 | sort | while read -r f; do stat -c "%n %a %s %Y %F" "$f"; done; cat app/main.sh';

async function source(): Promise<string> {
  const files: Record<string, string> = {
    Dockerfile: 'FROM busybox\nCOPY . /ctx\n',
    '.dockerignore': '*.log\n',
    'app/main.sh': 'echo main\n',
    'app/lib/old.sh': 'echo old\n',
    'data/keep.txt': 'keep\n',
    'debug.log': 'ignored\n',
  };
  for (let i = 0; i < 40; i++) files[`src/d${i % 4}/f${i}.txt`] = `file ${i}\n`;
  const ctx = await contextDir(files);
  await fsp.symlink('app/main.sh', path.join(ctx, 'entry'));
  return ctx;
}

test('berth build sends what changed since its last build of the directory; the image is the whole context\'s', async () => {
  const d = t.d;
  const ctx = await source();
  const api = new Transport(d.host);
  try {
    await sleep(SETTLE_MS);
    const first = await d.berth(['build', '-q', '-t', 'delta:1', ctx], { timeout: 120000 });
    assert.equal(first.code, 0, first.stderr);
    const key = await contextKey(ctx);
    const kept = await keptContext(api, key);
    assert.ok(kept?.base, 'the daemon keeps the context under the client\'s key');
    assert.ok(kept.stamps.has('src/d3/f39.txt') && kept.stamps.has('app/lib') && kept.stamps.has('entry'));
    assert.equal(kept.stamps.has('debug.log'), false);

    // changes of each kind; the rest goes as the list of unchanged paths
    await fsp.writeFile(path.join(ctx, 'app/main.sh'), 'echo MAIN, changed\n');
    await fsp.rm(path.join(ctx, 'app/lib/old.sh'));
    await fsp.writeFile(path.join(ctx, 'app/lib/new.sh'), 'echo new\n');
    await fsp.writeFile(path.join(ctx, 'data/keep.txt'), 'kept\n');
    await fsp.chmod(path.join(ctx, 'data/keep.txt'), 0o600);
    await fsp.rm(path.join(ctx, 'entry'));
    await fsp.symlink('data/keep.txt', path.join(ctx, 'entry'));
    await fsp.rm(path.join(ctx, 'src/d2'), { recursive: true });
    const second = await d.berth(['build', '-q', '-t', 'delta:2', ctx], { timeout: 120000 });
    assert.equal(second.code, 0, second.stderr);
    const full = await d.docker(['build', '-q', '--no-cache', '-t', 'full:2', ctx], { timeout: 120000 });
    assert.equal(full.code, 0, full.stderr);
    const got = await d.dockerOk(['run', '--rm', 'delta:2', 'sh', '-c', LIST]);
    assert.equal(got, await d.dockerOk(['run', '--rm', 'full:2', 'sh', '-c', LIST]));
    assert.match(got, /echo MAIN, changed$/);
    assert.doesNotMatch(got, /old\.sh|src\/d2|debug\.log/);

    // the daemon takes a delta against its current copy: nothing but the list goes
    const now = await keptContext(api, key);
    assert.ok(now?.base && now.base !== kept.base);
    await sleep(SETTLE_MS);
    const ignore = await contextIgnore(ctx, 'Dockerfile');
    // (the cache's step for this content may now be the --no-cache build's: either image)
    const third = await d.berth(['build', '-q', '-t', 'delta:3', ctx], { timeout: 120000 });
    assert.equal(third.code, 0, third.stderr);
    const latest = await keptContext(api, key);
    const res = await api.request({
      method: 'POST', path: '/build', query: { t: 'delta:4', q: true, berthcontext: key, berthbase: latest!.base }, contentType: 'application/x-tar',
      rawBody: packContext({ dir: ctx, dockerfile: 'Dockerfile' }, ignore, latest!.stamps),
    });
    const body = await new Promise<string>((resolve) => { let s = ''; res.on('data', (c: Buffer) => { s += c; }).on('end', () => resolve(s)); });
    // a quiet build answers with the ID line alone (no aux object), as dockerd does
    assert.match(body, new RegExp(`^\\{"stream":"${third.stdout.trim()}\\\\n"\\}\\n$`));
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('a stale base is a 409 and berth build falls back to the whole context; bad deltas change nothing', async () => {
  const d = t.d;
  const ctx = await source();
  const api = new Transport(d.host);
  const list = (paths: string[]): Readable => {
    const p = tar.pack();
    p.entry({ name: '.berth-same', pax: { [PAX_SAME]: '1' } }, Buffer.from(paths.join('\0')));
    p.entry({ name: 'Dockerfile' }, 'FROM busybox\n');
    p.finalize();
    return p as unknown as Readable;
  };
  const post = (query: Record<string, string>, body: Readable) => api.request({ method: 'POST', path: '/build', query: { q: '1', ...query }, contentType: 'application/x-tar', rawBody: body });
  try {
    await sleep(SETTLE_MS);
    assert.equal((await d.berth(['build', '-q', '-t', 'stale:1', ctx], { timeout: 120000 })).code, 0);
    const key = await contextKey(ctx);
    const before = await keptContext(api, key);
    assert.ok(before?.base);

    await assert.rejects(post({ berthcontext: key, berthbase: '0123456789abcdef' }, list(['Dockerfile'])), (e) => e instanceof DaemonError && e.statusCode === 409 && /build context base 0123456789abcdef is gone/.test(e.message));
    await assert.rejects(post({ berthcontext: key, berthbase: 'not hex!' }, list([])), (e) => e instanceof DaemonError && e.statusCode === 400 && /invalid berthbase value/.test(e.message));
    // a list from a client that claimed no kept copy (any docker client's tar could carry one)
    await assert.rejects(post({}, list(['Dockerfile'])), (e) => e instanceof DaemonError && e.statusCode === 400 && /unchanged paths without a kept context/.test(e.message));
    // the refused requests took nothing: the kept copy is still there
    assert.equal((await keptContext(api, key))?.base, before.base);

    // a list naming what the copy does not have: a 409 before any output; the copy is given up
    await assert.rejects(post({ berthcontext: key, berthbase: before.base! }, list(['no/such/file'])), (e) => e instanceof DaemonError && e.statusCode === 409);
    await fsp.writeFile(path.join(ctx, 'app/main.sh'), 'echo after a conflict\n');
    const after = await d.berth(['build', '-q', '-t', 'stale:2', ctx], { timeout: 120000 });
    assert.equal(after.code, 0, after.stderr);
    assert.equal(await d.dockerOk(['run', '--rm', 'stale:2', 'cat', '/ctx/app/main.sh']), 'echo after a conflict');

    // a restart keeps no context: the next build sends the whole one, and is kept again
    await d.halt('SIGTERM');
    await d.start();
    assert.equal((await keptContext(api, key))?.base, undefined);
    await fsp.writeFile(path.join(ctx, 'app/main.sh'), 'echo after a restart\n');
    const restarted = await d.berth(['build', '-q', '-t', 'stale:3', ctx], { timeout: 120000 });
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.equal(await d.dockerOk(['run', '--rm', 'stale:3', 'cat', '/ctx/app/main.sh']), 'echo after a restart');
    assert.ok((await keptContext(api, key))?.base);
  } finally {
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});
