/**
 * Health checks through a real berthd and the docker CLI: probes run as execs in the container, the
 * status goes starting -> healthy -> unhealthy with Docker's streaks and log, `docker ps` shows it and
 * filters on it, `health_status` events are emitted, a timeout kills the probe, the start period forgives
 * failures, an image's HEALTHCHECK is used (and --no-healthcheck drops it), and probing resumes after a
 * daemon restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import tar from 'tar-stream';
import { busyboxDaemon, waitFor } from './harness.js';

const t = busyboxDaemon();
const run = (args: string[]) => t.d.docker(['run', '--network', 'none', ...args]);


interface Health { Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string; Start: string; End: string }[] }

async function health(name: string): Promise<Health> {
  const r = await t.d.docker(['inspect', '-f', '{{json .State.Health}}', name]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Health;
}

const status = async (name: string) => (await health(name)).Status;

test('a probe makes a container healthy, then unhealthy after Retries failures; ps and events show it', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const c = await run(['-d', '--name', 'web', '--health-cmd', 'test -f /tmp/ok && echo fine', '--health-interval', '200ms', '--health-retries', '2',
    'busybox', 'sh', '-c', 'touch /tmp/ok; exec sleep 300']);
  assert.equal(c.code, 0, c.stderr);
  await waitFor(async () => (await status('web')) === 'healthy', 10000, 'healthy');
  let h = await health('web');
  assert.equal(h.FailingStreak, 0);
  assert.equal(h.Log.at(-1)!.ExitCode, 0);
  assert.equal(h.Log.at(-1)!.Output, 'fine\n');
  assert.ok(Date.parse(h.Log.at(-1)!.End) >= Date.parse(h.Log.at(-1)!.Start));
  assert.match((await t.d.docker(['ps', '--filter', 'name=web', '--format', '{{.Status}}'])).stdout, /^Up .* \(healthy\)$/m);
  assert.equal((await t.d.docker(['ps', '-q', '--filter', 'health=healthy'])).stdout.trim().length, 12);

  assert.equal((await t.d.docker(['exec', 'web', 'rm', '/tmp/ok'])).code, 0);
  await waitFor(async () => (await status('web')) === 'unhealthy', 10000, 'unhealthy');
  h = await health('web');
  assert.ok(h.FailingStreak >= 2, JSON.stringify(h));
  assert.ok(h.Log.length <= 5);
  assert.equal(h.Log.at(-1)!.ExitCode, 1);
  assert.match((await t.d.docker(['ps', '--filter', 'name=web', '--format', '{{.Status}}'])).stdout, /\(unhealthy\)/);
  assert.equal((await t.d.docker(['ps', '-q', '--filter', 'health=unhealthy'])).stdout.trim().length, 12);

  const ev = await t.d.docker(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000)), '--filter', 'container=web', '--format', '{{.Action}}']);
  const actions = ev.stdout.trim().split('\n');
  assert.ok(actions.includes('health_status: healthy'), ev.stdout);
  assert.ok(actions.includes('health_status: unhealthy'), ev.stdout);
  assert.ok(actions.some((a) => a.startsWith('exec_start: test -f /tmp/ok')) || actions.some((a) => a.startsWith('exec_start: /bin/sh -c')), 'probes are execs');

  // stopping ends the monitor: Docker reports unhealthy
  assert.equal((await t.d.docker(['stop', '-t', '1', 'web'])).code, 0);
  assert.equal(await status('web'), 'unhealthy');
  // a new start begins at starting again
  assert.equal((await t.d.docker(['start', 'web'])).code, 0);
  assert.equal((await health('web')).Log.length, 0);
  await waitFor(async () => (await status('web')) === 'healthy', 10000, 'healthy after restart');
  assert.equal((await t.d.docker(['rm', '-f', 'web'])).code, 0);
});

test('a probe that outlives its timeout is killed and counts as a failure', async () => {
  const c = await run(['-d', '--name', 'slow', '--health-cmd', 'sleep 30', '--health-timeout', '300ms', '--health-interval', '200ms', '--health-retries', '1', 'busybox', 'sleep', '300']);
  assert.equal(c.code, 0, c.stderr);
  await waitFor(async () => (await status('slow')) === 'unhealthy', 10000, 'unhealthy');
  const h = await health('slow');
  assert.equal(h.Log.at(-1)!.ExitCode, -1);
  assert.equal(h.Log.at(-1)!.Output, 'Health check exceeded timeout (300ms)');
  // timed-out probes are killed (with their children): they do not pile up, at most the current one runs
  await waitFor(async () => (await health('slow')).Log.length >= 4, 15000, 'four probes');
  const top = await t.d.docker(['top', 'slow']);
  assert.ok(top.stdout.split('\n').filter((l) => /sleep 30$/.test(l)).length <= 1, top.stdout);
  assert.equal((await t.d.docker(['rm', '-f', 'slow'])).code, 0);
});

test('failures inside the start period do not count', async () => {
  const c = await run(['-d', '--name', 'boot', '--health-cmd', 'false', '--health-interval', '100ms', '--health-start-period', '60s',
    '--health-start-interval', '100ms', '--health-retries', '1', 'busybox', 'sleep', '300']);
  assert.equal(c.code, 0, c.stderr);
  await waitFor(async () => (await health('boot')).Log.length >= 3, 10000, 'three probes');
  const h = await health('boot');
  assert.equal(h.Status, 'starting');
  assert.equal(h.FailingStreak, 0);
  assert.match((await t.d.docker(['ps', '--filter', 'name=boot', '--format', '{{.Status}}'])).stdout, /\(health: starting\)/);
  assert.equal((await t.d.docker(['rm', '-f', 'boot'])).code, 0);
});

test('bad health options get Docker errors and create nothing', async () => {
  const r = await t.d.request('POST', '/containers/create?name=badhc', { Image: 'busybox', Cmd: ['true'], Healthcheck: { Test: ['CMD', 'true'], Interval: 500 } });
  assert.equal(r.status, 400);
  assert.equal(r.json().message, 'Interval in Healthcheck cannot be less than 1ms');
  const n = await t.d.request('POST', '/containers/create?name=badhc', { Image: 'busybox', Cmd: ['true'], Healthcheck: { Test: ['CMD', 'true'], Retries: -2 } });
  assert.equal(n.status, 400);
  assert.equal((await t.d.request('GET', '/containers/badhc/json')).status, 404);
});

/** busybox with a HEALTHCHECK in its config, made with docker save / load */
async function imageWithHealthcheck(tag: string, test: string[]): Promise<void> {
  const savedFile = path.join(t.d.dir, 'busybox-saved.tar');
  const sv = await t.d.docker(['save', '-o', savedFile, 'busybox']);
  assert.equal(sv.code, 0, sv.stderr);
  const saved = await readFile(savedFile);
  const entries = new Map<string, Buffer>();
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => { ex.on('finish', resolve); ex.on('error', reject); });
  ex.on('entry', (h, s, next) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    s.on('end', () => { if (h.type === 'file') entries.set(h.name, Buffer.concat(chunks)); next(); });
  });
  Readable.from([saved]).pipe(ex);
  await done;
  const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  const config = JSON.parse(entries.get(manifest[0].Config)!.toString());
  config.config.Healthcheck = { Test: test, Interval: 200_000_000, Retries: 1 };
  const text = Buffer.from(JSON.stringify(config));
  const hex = createHash('sha256').update(text).digest('hex');
  const out = tar.pack();
  const outChunks: Buffer[] = [];
  out.on('data', (c: unknown) => { outChunks.push(c as Buffer); });
  const packed = new Promise<void>((r) => { out.on('end', () => r()); });
  for (const l of manifest[0].Layers) out.entry({ name: l }, entries.get(l)!);
  out.entry({ name: `${hex}.json` }, text);
  out.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: `${hex}.json`, RepoTags: [tag], Layers: manifest[0].Layers }]));
  out.finalize();
  await packed;
  const file = path.join(t.d.dir, 'hc.tar');
  await writeFile(file, Buffer.concat(outChunks));
  const loaded = await t.d.docker(['load', '-i', file]);
  assert.equal(loaded.code, 0, loaded.stderr);
}

test("an image's HEALTHCHECK is used, --no-healthcheck drops it, and probing resumes after a daemon restart", async () => {
  await imageWithHealthcheck('hc:latest', ['CMD-SHELL', 'test -f /tmp/ok']);
  const c = await run(['-d', '--name', 'img', 'hc', 'sh', '-c', 'touch /tmp/ok; exec sleep 300']);
  assert.equal(c.code, 0, c.stderr);
  await waitFor(async () => (await status('img')) === 'healthy', 10000, 'healthy from the image');
  const off = await run(['-d', '--name', 'off', '--no-healthcheck', 'hc', 'sleep', '300']);
  assert.equal(off.code, 0, off.stderr);
  assert.equal((await t.d.docker(['inspect', '-f', '{{json .State.Health}}', 'off'])).stdout.trim(), 'null');
  assert.match((await t.d.docker(['ps', '--filter', 'name=off', '--format', '{{.Status}}'])).stdout, /^Up [^(]*$/m);

  await t.d.halt('SIGTERM');
  await t.d.start();
  assert.equal(await status('img'), 'healthy');
  assert.equal((await t.d.docker(['exec', 'img', 'rm', '/tmp/ok'])).code, 0);
  await waitFor(async () => (await status('img')) === 'unhealthy', 10000, 'unhealthy after the daemon restart');
  assert.equal((await t.d.docker(['rm', '-f', 'img', 'off'])).code, 0);
});
