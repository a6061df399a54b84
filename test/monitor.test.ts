/**
 * conmon killed with SIGKILL under a running container (issue 17): the daemon notices the dead monitor,
 * kills what still runs, and records the container as exited with 137 (as Docker does with a dead
 * shim). `rm -f` and `stop` then work at once, and no mount of the container is left.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { TestDaemon, waitFor } from './harness.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
});

after(async () => {
  await d?.stop();
});

/** Starts a container and SIGKILLs its conmon; gives its id and the pid of its process. */
async function runAndKillMonitor(name: string): Promise<{ id: string; pid: number }> {
  const id = await d.dockerOk(['run', '-d', '--name', name, '--network', 'none', 'busybox', 'sleep', '1000']);
  const pid = Number(await d.dockerOk(['inspect', '-f', '{{.State.Pid}}', id]));
  assert.ok(pid > 0 && existsSync(`/proc/${pid}`));
  const conmon = Number((await fsp.readFile(path.join(d.execRoot, 'c', id.slice(0, 24), 'conmon.pid'), 'utf8')).trim());
  assert.match(readFileSync(`/proc/${conmon}/cmdline`, 'utf8'), /conmon/);
  process.kill(conmon, 'SIGKILL');
  await waitFor(async () => !readFileSync(`/proc/${conmon}/cmdline`, 'utf8').includes('conmon') || undefined, 5000, 'conmon to die')
    .catch(() => undefined);
  return { id, pid };
}

const mountsOf = (id: string) => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(id));
const gone = (pid: number) => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

test('a container whose conmon died is shown exited (137), its process killed, its mounts released', { timeout: 60_000 }, async () => {
  const { id, pid } = await runAndKillMonitor('mon-inspect');
  // the inspect path checks the monitor: no waiting for the watchdog
  const state = JSON.parse(await d.dockerOk(['inspect', '-f', '{{json .State}}', id])) as { Status: string; ExitCode: number; Running: boolean; Pid: number };
  assert.deepEqual([state.Status, state.Running, state.ExitCode, state.Pid], ['exited', false, 137, 0]);
  assert.ok(gone(pid), 'the container process was killed');
  assert.deepEqual(mountsOf(id), []);
  assert.equal(await d.dockerOk(['ps', '-q', '--filter', `id=${id}`]), '');
  const dies = () => d.dockerOk(['events', '--since', '1m', '--until', '0s', '--filter', 'event=die', '--format', '{{.Actor.ID}} {{.Actor.Attributes.exitCode}}'])
    .then((out) => out.split('\n').filter((l) => l.startsWith(id)));
  const events = await waitFor(async () => { const l = await dies(); return l.length ? l : undefined; }, 5000, 'the die event');
  assert.deepEqual(events, [`${id} 137`]);
  // and it starts again, under a new conmon
  await d.dockerOk(['start', id]);
  assert.equal(await d.dockerOk(['inspect', '-f', '{{.State.Status}}', id]), 'running');
  await d.dockerOk(['rm', '-f', id]);
});

test('rm -f right after conmon died succeeds and leaves no mount', { timeout: 60_000 }, async () => {
  const { id, pid } = await runAndKillMonitor('mon-rm');
  await d.dockerOk(['rm', '-f', id], { timeout: 10_000 });
  assert.ok(gone(pid));
  assert.deepEqual(mountsOf(id), []);
  assert.ok(!existsSync(path.join(d.execRoot, 'runc', id)), 'runc state is gone');
  const r = await d.docker(['inspect', id]);
  assert.notEqual(r.code, 0);
});

test('stop right after conmon died succeeds', { timeout: 60_000 }, async () => {
  const { id, pid } = await runAndKillMonitor('mon-stop');
  await d.dockerOk(['stop', id], { timeout: 10_000 });
  assert.ok(gone(pid));
  assert.equal(await d.dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]), 'exited 137');
  await d.dockerOk(['rm', id]);
});

test('the watchdog notices a dead conmon without any request', { timeout: 60_000 }, async () => {
  const { id, pid } = await runAndKillMonitor('mon-watch');
  // the container's process dies without anyone asking about it
  await waitFor(async () => gone(pid), 10_000, 'the watchdog to kill the container');
  const w = await d.request('POST', `/containers/${id}/wait`);
  assert.equal(w.json().StatusCode, 137);
  await d.dockerOk(['rm', id]);
});
