import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatLogLine } from './line.js';
import type { LogStream } from './line.js';
import { readLogs } from './reader.js';
import type { LogChunk, ReadLogsOptions } from './reader.js';

const T0 = 1704067200n * 1_000_000_000n; // 2024-01-01T00:00:00Z
const sec = (s: number) => T0 + BigInt(Math.round(s * 1e9));

type L = [seconds: number, stream: LogStream, tag: 'F' | 'P', text: string];
const lines = (ls: L[]) => Buffer.concat(ls.map(([s, st, tag, text]) => formatLogLine(sec(s), st, tag === 'P', text)));

async function tmp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-logs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls until `pred` holds (a follower runs concurrently); fails after `ms`. */
async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const base: ReadLogsOptions = { stdout: true, stderr: true, timestamps: false };

async function collect(files: string[], opts: Partial<ReadLogsOptions> = {}): Promise<LogChunk[]> {
  const out: LogChunk[] = [];
  for await (const c of readLogs(files, { ...base, ...opts })) out.push(c);
  return out;
}
const text = (cs: LogChunk[]) => cs.map((c) => c.data.toString()).join('');
const tagged = (cs: LogChunk[]) => cs.map((c) => `${c.stream}:${c.data.toString()}`);

/** A rotated set: c.log.2 (oldest), c.log.1, c.log. */
async function rotatedSet(dir: string): Promise<string[]> {
  const f = ['c.log.2', 'c.log.1', 'c.log'].map((n) => path.join(dir, n));
  await writeFile(f[0] as string, lines([[1, 'stdout', 'F', 'one'], [2, 'stderr', 'F', 'two'], [3, 'stdout', 'F', 'three']]));
  await writeFile(f[1] as string, lines([[4, 'stdout', 'F', 'four'], [5, 'stdout', 'P', 'fi'], [5.5, 'stderr', 'F', 'err'], [6, 'stdout', 'F', 've']]));
  await writeFile(f[2] as string, lines([[7, 'stdout', 'F', 'six'], [8, 'stderr', 'F', 'seven']]));
  return f;
}

test('reads every file in order, joining partial lines', async (t) => {
  const files = await rotatedSet(await tmp(t));
  const all = await collect(files);
  assert.deepEqual(tagged(all), ['stdout:one\n', 'stderr:two\n', 'stdout:three\n', 'stdout:four\n', 'stderr:err\n', 'stdout:five\n', 'stdout:six\n', 'stderr:seven\n']);
  assert.equal(text(await collect(files, { stderr: false })), 'one\nthree\nfour\nfive\nsix\n');
  assert.equal(text(await collect(files, { stdout: false })), 'two\nerr\nseven\n');
  assert.deepEqual(await collect(files, { stdout: false, stderr: false }), []);
});

test('tail counts whole lines from the end across rotated files', async (t) => {
  const files = await rotatedSet(await tmp(t));
  const table: [number | 'all', string][] = [
    [0, ''], [1, 'seven\n'], [2, 'six\nseven\n'], [3, 'five\nsix\nseven\n'], [4, 'err\nfive\nsix\nseven\n'],
    [6, 'three\nfour\nerr\nfive\nsix\nseven\n'], [100, 'one\ntwo\nthree\nfour\nerr\nfive\nsix\nseven\n'],
    ['all', 'one\ntwo\nthree\nfour\nerr\nfive\nsix\nseven\n'], [-1, 'one\ntwo\nthree\nfour\nerr\nfive\nsix\nseven\n'],
  ];
  for (const [tail, want] of table) assert.equal(text(await collect(files, { tail })), want, `tail ${tail}`);
  assert.equal(text(await collect(files, { tail: 2, stderr: false })), 'five\nsix\n');
  assert.equal(text(await collect(files, { tail: 2, stdout: false })), 'err\nseven\n');
});

test('partial lines: joined, interleaved, unfinished at the end', async (t) => {
  const dir = await tmp(t);
  const f = path.join(dir, 'c.log');
  await writeFile(f, lines([
    [1, 'stdout', 'P', 'hel'], [1.1, 'stderr', 'P', 'E1'], [1.2, 'stdout', 'P', 'lo'], [1.3, 'stdout', 'F', ' world'],
    [1.4, 'stderr', 'F', 'E2'], [2, 'stdout', 'F', ''], [3, 'stdout', 'P', 'prompt> '],
  ]));
  assert.deepEqual(tagged(await collect([f])), ['stdout:hello world\n', 'stderr:E1E2\n', 'stdout:\n', 'stdout:prompt> ']);
  assert.deepEqual(tagged(await collect([f], { tail: 1 })), ['stdout:prompt> ']);
  assert.deepEqual(tagged(await collect([f], { tail: 3 })), ['stderr:E1E2\n', 'stdout:\n', 'stdout:prompt> ']);
  assert.deepEqual(tagged(await collect([f], { tail: 4 })), ['stdout:hello world\n', 'stderr:E1E2\n', 'stdout:\n', 'stdout:prompt> ']);
  assert.deepEqual(tagged(await collect([f], { tail: 1, stdout: false })), ['stderr:E1E2\n']);
});

test('since and until, timestamps', async (t) => {
  const files = await rotatedSet(await tmp(t));
  const s = Number(T0 / 1_000_000_000n);
  assert.equal(text(await collect(files, { since: s + 6 })), 'five\nsix\nseven\n');
  assert.equal(text(await collect(files, { since: s + 6.5 })), 'six\nseven\n');
  assert.equal(text(await collect(files, { until: s + 3 })), 'one\ntwo\nthree\n');
  assert.equal(text(await collect(files, { since: `${s + 4}.000000000`, until: s + 5.5 })), 'four\nerr\n');
  assert.equal(text(await collect(files, { since: s + 2, tail: 2 })), 'six\nseven\n');
  assert.equal(text(await collect(files, { since: s + 7.5, tail: 5 })), 'seven\n');
  assert.equal(text(await collect(files, { until: s + 4, tail: 2 })), 'three\nfour\n');
  assert.equal(text(await collect(files, { tail: 2, timestamps: true })), '2024-01-01T00:00:07.000000000Z six\n2024-01-01T00:00:08.000000000Z seven\n');
  const frac = await collect(files, { tail: 4, timestamps: true, stdout: false });
  assert.equal(frac[1]?.data.toString(), '2024-01-01T00:00:05.500000000Z err\n');
});

test('long lines and big files: chunk boundaries, tail without reading everything into memory', async (t) => {
  const dir = await tmp(t);
  const f = path.join(dir, 'c.log');
  const long = 'x'.repeat(200_000);
  const ls: L[] = [];
  for (let i = 0; i < 30_000; i++) ls.push([i / 1000, i % 3 === 0 ? 'stderr' : 'stdout', 'F', `line ${i}`]);
  ls.push([31, 'stdout', 'P', long], [31, 'stdout', 'F', 'end'], [32, 'stdout', 'F', 'last']);
  await writeFile(f, lines(ls));
  await appendFile(f, '2024-01-01T00:01:00Z stdout F being writ'); // unterminated: a write in progress
  const tail = await collect([f], { tail: 3 });
  assert.deepEqual(tail.map((c) => c.data.length), [11, long.length + 4, 5]);
  assert.equal(tail[0]?.data.toString(), 'line 29999\n');
  assert.equal(tail[1]?.data.toString(), long + 'end\n');
  const all = await collect([f]);
  assert.equal(all.length, 30_002);
  assert.equal(all.at(-1)?.data.toString(), 'last\n');
  assert.equal(all[12_345]?.data.toString(), 'line 12345\n');
});

test('follow picks up appended lines and ends once the container stopped', async (t) => {
  const dir = await tmp(t);
  const f = path.join(dir, 'c.log');
  await writeFile(f, lines([[1, 'stdout', 'F', 'old']]));
  let running = true;
  const got: string[] = [];
  const done = (async () => {
    for await (const c of readLogs([f], { ...base, follow: true, tail: 1, isRunning: () => running, pollMs: 20 })) got.push(c.data.toString());
  })();
  await waitFor(() => got.length === 1);
  await appendFile(f, lines([[2, 'stdout', 'P', 'par'], [3, 'stdout', 'F', 'tial'], [4, 'stderr', 'F', 'new']]));
  await waitFor(() => got.length === 4);
  assert.deepEqual(got, ['old\n', 'par', 'tial\n', 'new\n']);
  await appendFile(f, lines([[5, 'stdout', 'F', 'bye']]));
  running = false;
  await done;
  assert.deepEqual(got, ['old\n', 'par', 'tial\n', 'new\n', 'bye\n']);
});

test('follow: timestamps only at the start of a line, unfinished history line continued', async (t) => {
  const dir = await tmp(t);
  const f = path.join(dir, 'c.log');
  await writeFile(f, lines([[1, 'stdout', 'P', 'a']]));
  let running = true;
  const got: string[] = [];
  const done = (async () => {
    for await (const c of readLogs([f], { ...base, follow: true, timestamps: true, isRunning: () => running, pollMs: 20 })) got.push(c.data.toString());
  })();
  await waitFor(() => got.length === 1);
  await appendFile(f, lines([[2, 'stdout', 'F', 'b'], [3, 'stdout', 'F', 'c']]));
  running = false;
  await done;
  assert.deepEqual(got, ['2024-01-01T00:00:01.000000000Z a', 'b\n', '2024-01-01T00:00:03.000000000Z c\n']);
});

test('follow survives rotation and waits for a log that does not exist yet', async (t) => {
  const dir = await tmp(t);
  const f = path.join(dir, 'c.log');
  let running = true;
  const got: string[] = [];
  const done = (async () => {
    for await (const c of readLogs([`${f}.1`, f], { ...base, follow: true, isRunning: () => running, pollMs: 20 })) got.push(c.data.toString());
  })();
  await new Promise((r) => setTimeout(r, 50));
  await writeFile(f, lines([[1, 'stdout', 'F', 'first']]));
  await waitFor(() => got.length === 1);
  await rename(f, `${f}.1`);
  await appendFile(`${f}.1`, lines([[2, 'stdout', 'F', 'late write to the old file']]));
  await writeFile(f, lines([[3, 'stdout', 'F', 'after rotation']]));
  await waitFor(() => got.length === 3);
  await appendFile(f, lines([[4, 'stdout', 'F', 'more']]));
  running = false;
  await done;
  assert.deepEqual(got, ['first\n', 'late write to the old file\n', 'after rotation\n', 'more\n']);
});

test('follow ends on abort and at until', async (t) => {
  const dir = await tmp(t);
  const f = path.join(dir, 'c.log');
  await writeFile(f, lines([[1, 'stdout', 'F', 'x']]));
  const ac = new AbortController();
  const got: string[] = [];
  const done = (async () => {
    for await (const c of readLogs([f], { ...base, follow: true, signal: ac.signal, pollMs: 10_000 })) got.push(c.data.toString());
  })();
  await waitFor(() => got.length === 1);
  ac.abort();
  await done;
  assert.deepEqual(got, ['x\n']);

  const s = Number(T0 / 1_000_000_000n);
  const until = collect([f], { follow: true, until: s + 2, pollMs: 10 });
  await new Promise((r) => setTimeout(r, 30));
  await appendFile(f, lines([[1.5, 'stdout', 'F', 'y'], [3, 'stdout', 'F', 'z']]));
  assert.equal(text(await until), 'x\ny\n');
});
