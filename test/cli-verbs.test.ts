/**
 * berth's stats, update, top, port and events against a real berthd, side by side with the docker CLI:
 * the same daemon answers both, so berth must print what docker prints (or, for live figures, the same
 * table shape) and send what docker sends.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { TestDaemon, BERTH_CLI } from './harness.js';

let d: TestDaemon;
let id = '';
const ok = async (r: Promise<{ code: number; stdout: string; stderr: string }>) => {
  const x = await r;
  assert.equal(x.code, 0, x.stderr);
  return x.stdout;
};

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
  id = (await ok(d.docker(['run', '-d', '--name', 'web', '-p', '127.0.0.1::80', '-m', '64m', 'busybox', 'httpd', '-f', '-p', '80']))).trim();
});

after(async () => {
  await d?.stop();
});

test('stats --no-stream: docker\'s columns and figures for a running container', async () => {
  const b = await ok(d.berth(['stats', '--no-stream']));
  const k = await ok(d.docker(['stats', '--no-stream']));
  const [bh, brow, ...rest] = b.split('\n');
  const [kh, krow] = k.split('\n');
  const cells = (row: string) => row.split(/ {3,}/);
  // the column widths follow the figures, which move between the two calls
  assert.deepEqual(cells(bh!), cells(kh!));
  assert.deepEqual(cells(bh!), ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS']);
  assert.deepEqual(rest, ['']);
  const bc = cells(brow!);
  const kc = cells(krow!);
  assert.deepEqual(bc.slice(0, 2), [id.slice(0, 12), 'web']);
  assert.deepEqual(kc.slice(0, 2), bc.slice(0, 2));
  assert.match(bc[2]!, /^\d+\.\d\d%$/);
  assert.match(bc[3]!, /^[\d.]+(B|KiB|MiB) \/ 64MiB$/, 'the -m limit');
  assert.match(bc[4]!, /^\d+\.\d\d%$/);
  assert.match(bc[5]!, /^[\d.]+k?B \/ [\d.]+k?B$/);
  assert.equal(bc[7], kc[7], 'pids');
  const json = JSON.parse(await ok(d.berth(['stats', '--no-stream', '--no-trunc', '--format', 'json', 'web']))) as Record<string, string>;
  assert.deepEqual(Object.keys(json), ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
  assert.deepEqual([json.Container, json.ID, json.Name], ['web', id, 'web']);
  const missing = await d.berth(['stats', '--no-stream', 'nosuch']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such container: nosuch/);
});

test('stats streams: the table is redrawn in place until interrupted', async () => {
  const child = spawn(process.execPath, [BERTH_CLI, 'stats', '--format', 'table {{.Name}}\t{{.PIDs}}'], { env: { ...process.env, BERTH_HOST: d.host, DOCKER_HOST: d.host } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  await new Promise((r) => setTimeout(r, 2500));
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  const frames = out.split('\x1b[H').filter(Boolean);
  assert.ok(frames.length >= 2, `several refreshes: ${JSON.stringify(out)}`);
  assert.match(frames[frames.length - 1]!, /^NAME\s+PIDS\x1b\[K\nweb\s+\d+\x1b\[K\n/);
  assert.ok(frames[frames.length - 1]!.endsWith('\x1b[J'));
});

test('update: the limits reach the container, docker\'s errors otherwise', async () => {
  assert.equal(await ok(d.berth(['update', '-m', '96m', '--memory-swap', '192m', '--pids-limit', '50', '--cpus', '0.5', '--restart', 'on-failure:2', 'web'])), 'web\n');
  const hc = await ok(d.docker(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'web']));
  assert.equal(hc.trim(), '100663296 201326592 50 500000000 on-failure:2');
  const stats = await ok(d.berth(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'web']));
  assert.match(stats, / \/ 96MiB\n$/, 'the new limit is live');
  const small = await d.berth(['update', '-m', '1m', 'web']);
  const dsmall = await d.docker(['update', '-m', '1m', 'web']);
  assert.equal(small.code, 1);
  assert.equal(small.stderr, dsmall.stderr);
  const none = await d.berth(['update', 'web']);
  assert.deepEqual([none.code, none.stderr], [1, 'you must provide one or more flags when using this command\n']);
});

test('top, port and events print what docker prints', async () => {
  assert.equal(await ok(d.berth(['top', 'web'])), await ok(d.docker(['top', 'web'])));
  assert.equal(await ok(d.berth(['container', 'top', 'web', '-o', 'pid,comm'])), await ok(d.docker(['container', 'top', 'web', '-o', 'pid,comm'])));
  assert.equal(await ok(d.berth(['port', 'web'])), await ok(d.docker(['port', 'web'])));
  const range = ['--since', '5m', '--until', '0s'];
  await new Promise((r) => setTimeout(r, 1100)); // the CLIs send durations as whole seconds
  for (const extra of [[], ['--format', '{{json .}}'], ['--filter', 'type=container', '--filter', 'event=update', '--format', '{{.Actor.Attributes.name}} {{.Action}}']]) {
    const b = await ok(d.berth(['events', ...range, ...extra]));
    assert.ok(b.length > 0);
    assert.equal(b, await ok(d.docker(['events', ...range, ...extra])), extra.join(' '));
  }
  const bad = await d.berth(['events', '--filter', 'foo']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^invalid argument "foo" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n/);
  assert.equal(await ok(d.berth(['system', 'events', ...range, '--filter', 'event=update', '--format', '{{.Actor.Attributes.name}} {{.Action}}'])), 'web update\n');
});
