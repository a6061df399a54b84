/**
 * Berth's context delta, both ends: what the client packs (client/buildcontext.ts) received into the
 * daemon's kept copy (receive.ts) gives what a whole context received afresh gives, and only what
 * changed travels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { contextIgnore, packContext, PAX_SAME, PAX_STAMP, type DirContext } from '../../client/buildcontext.js';
import type { IgnoreMatcher } from '../../core/dockerignore.js';
import { isKind } from '../../core/errors.js';
import { receiveContext, stampsOf, type ContextIndex } from './receive.js';

/** Every path under `dir`: type, mode, mtime (directories too), content. */
async function tree(dir: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of (await fsp.readdir(path.join(dir, rel))).sort()) {
    const r = rel ? `${rel}/${n}` : n;
    const p = path.join(dir, r);
    const st = await fsp.lstat(p);
    const meta = `${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs / 1000)}`;
    if (st.isDirectory()) {
      out[r] = `d ${meta}`;
      Object.assign(out, await tree(dir, r));
    } else if (st.isSymbolicLink()) out[r] = `l ${await fsp.readlink(p)}`;
    else out[r] = `f ${meta} ${(await fsp.readFile(p)).toString('base64').slice(0, 40)} ${st.size}`;
  }
  return out;
}

/** The names in a tar, with the pax marker of a list of unchanged paths shown as `<same>`. */
async function names(tarStream: Readable): Promise<{ names: string[]; same: string[] }> {
  const buf: Buffer[] = [];
  for await (const c of tarStream) buf.push(c as Buffer);
  const x = tar.extract();
  const out: string[] = [];
  let same: string[] = [];
  const done = new Promise<void>((resolve, reject) => x.on('finish', resolve).on('error', reject));
  x.on('entry', (h, s, next) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: unknown) => chunks.push(c as Buffer));
    s.on('end', () => {
      if ((h as { pax?: Record<string, string> }).pax?.[PAX_SAME]) same = Buffer.concat(chunks).toString().split('\0');
      else out.push(h.name);
      next();
    });
  });
  x.end(Buffer.concat(buf));
  await done;
  return { names: out, same };
}

const T0 = new Date(1_700_000_000_000);

async function source(src: string): Promise<void> {
  const files: Record<string, string | Buffer> = {
    Dockerfile: 'FROM busybox\nCOPY . /ctx\n',
    '.dockerignore': '*.log\n',
    'app/main.sh': 'echo main\n',
    'app/lib/util.sh': 'echo util\n',
    'app/lib/old.sh': 'echo old\n',
    'data/big.bin': Buffer.alloc(3 << 20, 1), // streamed, not read whole
    'data/keep.txt': 'keep\n',
    'swap/inner.txt': 'a directory that becomes a file\n',
    'debug.log': 'ignored\n',
  };
  for (const [rel, body] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(src, rel)), { recursive: true });
    await fsp.writeFile(path.join(src, rel), body);
  }
  await fsp.symlink('app/main.sh', path.join(src, 'entry'));
  for (const d of ['app/lib', 'app', 'data', 'swap', '']) await fsp.utimes(path.join(src, d), T0, T0);
}

/**
 * Runs `fn` with a source directory (`src`), its context and ignore rules, and an empty directory for
 * the daemon's kept copy (`kept`), all under a new temporary folder (`base`), removed after.
 */
async function withSource(fn: (s: { base: string; src: string; c: DirContext; ignore: IgnoreMatcher; kept: string }) => Promise<void>): Promise<void> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-delta-'));
  try {
    const src = path.join(base, 'src');
    await source(src);
    const kept = path.join(base, 'kept');
    await fsp.mkdir(kept);
    await fn({ base, src, c: { dir: src, dockerfile: 'Dockerfile' }, ignore: await contextIgnore(src, 'Dockerfile'), kept });
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
}

test('a delta received into the kept copy gives the fresh receive of the whole context; only changes travel', async () => {
  await withSource(async ({ base, src, c, ignore, kept }) => {
    // every path settled (stamped): the clock is a minute ahead
    const later = () => Date.now() + 60_000;
    const first = await receiveContext(packContext(c, ignore, new Map(), { now: later() }), kept);
    assert.equal(first.index.has('debug.log'), false);
    const stamps = new Map(Object.entries(stampsOf(first.index)));
    assert.ok(stamps.has('app/lib/util.sh') && stamps.has('app/lib') && stamps.has('entry'), 'every sent path is stamped');

    // nothing changed: the delta is the list alone, and receiving it writes nothing
    const none = await names(packContext(c, ignore, stamps, { now: later() }));
    assert.deepEqual(none.names, []);
    assert.deepEqual(none.same.sort(), [...first.index.keys()].sort());
    assert.equal(first.same, false, 'a first receive has nothing to be the same as');
    // a time changed, nothing else: the content COPY reads is the same
    await fsp.utimes(path.join(src, 'data/keep.txt'), T0, T0);
    const touched = await receiveContext(packContext(c, ignore, stamps, { now: later() }), kept, undefined, first.index, { delta: true });
    assert.equal(touched.written, 0);
    assert.equal(touched.same, true);
    first.index.clear();
    for (const [k, v] of touched.index) first.index.set(k, v);
    for (const [k, v] of Object.entries(stampsOf(touched.index))) stamps.set(k, v);

    // changes of every kind
    await fsp.writeFile(path.join(src, 'app/main.sh'), 'echo MAIN, longer\n');
    // rewritten in place: its directory's time does not change, and must not change in the kept copy
    await fsp.writeFile(path.join(src, 'data/keep.txt'), 'KEPT\n');
    await fsp.chmod(path.join(src, 'data/keep.txt'), 0o600);
    await fsp.rm(path.join(src, 'app/lib/old.sh'));
    await fsp.writeFile(path.join(src, 'app/new.sh'), 'echo new\n');
    await fsp.rm(path.join(src, 'swap'), { recursive: true });
    await fsp.writeFile(path.join(src, 'swap'), 'now a file\n');
    await fsp.rm(path.join(src, 'entry'));
    await fsp.symlink('app/new.sh', path.join(src, 'entry'));
    await fsp.writeFile(path.join(src, 'more.log'), 'ignored too\n');
    const delta = await names(packContext(c, ignore, stamps, { now: later() }));
    // the directories whose entries changed go again; util.sh, big.bin, the Dockerfile do not
    assert.deepEqual(delta.names.sort(), ['app/', 'app/lib/', 'app/main.sh', 'app/new.sh', 'data/keep.txt', 'entry', 'swap'].sort());
    assert.ok(delta.same.includes('data/big.bin') && delta.same.includes('app/lib/util.sh') && !delta.same.includes('app/main.sh'));

    const got = await receiveContext(packContext(c, ignore, stamps, { now: later() }), kept, undefined, first.index, { delta: true });
    const fresh = path.join(base, 'fresh');
    await fsp.mkdir(fresh);
    const ref = await receiveContext(packContext(c, ignore, new Map(), { now: later() }), fresh);
    assert.deepEqual(await tree(kept), await tree(fresh));
    const noStamps = (i: ContextIndex) => [...i.entries()].map(([k, e]) => [k, { ...e, stamp: undefined }]).sort();
    assert.deepEqual(noStamps(got.index), noStamps(ref.index));
    assert.equal(got.written, 4, 'main.sh, new.sh, swap, keep.txt');
    assert.equal(got.same, false);
  });
});

test('a list of unchanged paths: refused without a kept copy, a Conflict when it names what is not kept', async () => {
  await withSource(async ({ base, c, ignore, kept }) => {
    const now = Date.now() + 60_000;
    const first = await receiveContext(packContext(c, ignore, new Map(), { now }), kept);
    const stamps = new Map(Object.entries(stampsOf(first.index)));
    const list = (paths: string[]) => {
      const p = tar.pack();
      p.entry({ name: '.berth-same', pax: { [PAX_SAME]: '1' } }, Buffer.from(paths.join('\0')));
      p.finalize();
      return p as unknown as Readable;
    };
    // from a client that did not claim the kept copy (any docker client): a bad context
    await assert.rejects(receiveContext(list(['Dockerfile']), kept, undefined, first.index), (e) => isKind(e, 'InvalidArgument'));
    await assert.rejects(receiveContext(list(['../etc/passwd']), kept, undefined, first.index, { delta: true }), /leaves the context/);
    await assert.rejects(receiveContext(list(['nothing/here']), kept, undefined, first.index, { delta: true }), (e) => isKind(e, 'Conflict'));
    // a stamp too long to be Berth's is not kept
    const long = tar.pack();
    long.entry({ name: 'x.txt', pax: { [PAX_STAMP]: 's'.repeat(300) } }, 'x');
    long.entry({ name: 'y.txt', pax: { [PAX_STAMP]: 's'.repeat(30) } }, 'y');
    long.finalize();
    const other = path.join(base, 'other');
    await fsp.mkdir(other);
    const got = await receiveContext(long as unknown as Readable, other);
    assert.deepEqual(stampsOf(got.index), { 'y.txt': 's'.repeat(30) });
    // the kept copy was not touched by the refused ones: a delta against it still gives the source
    const again = await receiveContext(packContext(c, ignore, stamps, { now }), kept, undefined, first.index, { delta: true });
    assert.equal(again.written, 0);
    const fresh = path.join(base, 'fresh');
    await fsp.mkdir(fresh);
    await receiveContext(packContext(c, ignore, new Map(), { now }), fresh);
    assert.deepEqual(await tree(kept), await tree(fresh));
  });
});

test('a path changed within the settling time gets no stamp, and so is sent whole next time', async () => {
  await withSource(async ({ c, ignore, kept }) => {
    // now: the files were just written
    const first = await receiveContext(packContext(c, ignore, new Map()), kept);
    const stamps = stampsOf(first.index);
    assert.equal(stamps['app/main.sh'], undefined);
    const next = await names(packContext(c, ignore, new Map(Object.entries(stamps))));
    assert.ok(next.names.includes('app/main.sh') && !next.same.includes('app/main.sh'));
  });
});
