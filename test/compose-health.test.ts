/**
 * Ordering and failure in `berth compose up` against berthd: a dependent starts only once its database is
 * healthy, a migration job must complete successfully first (and a failing one leaves the dependents unstarted),
 * --wait reports an unhealthy service, a port already taken fails the service and a later `up` converges,
 * scale up and down, orphans, and attached `up` with --exit-code-from.
 */
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { busyboxDaemon, freePort } from './harness.js';
import { ComposeProject, inspect, inventory } from './compose-project.js';

const t = busyboxDaemon();
const projects: ComposeProject[] = [];
after(() => projects.forEach((p) => p.remove()));

/** A project whose containers, networks and volumes are removed after the test, whatever happened. */
function project(name: string, yaml: string): ComposeProject {
  const p = new ComposeProject(t.d, name, { 'compose.yaml': yaml });
  projects.push(p);
  return p;
}

afterEach(async () => {
  for (const p of projects) await p.compose(['down', '-v', '-t', '0', '--remove-orphans']);
});

const loop = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]`;

test('healthcheck ordering and a one-off migration job that must complete first', async () => {
  const p = project('order', `
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2; touch /tmp/up; while true; do sleep 1 & wait; done"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/up"], interval: 200ms, retries: 50}
  migrate:
    image: busybox
    command: ["sh", "-c", "sleep 1; echo migrated"]
    depends_on: {db: {condition: service_healthy}}
  app:
    image: busybox
    command: ${loop}
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
`);
  const up = await p.compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  const db = await inspect(t.d, 'order-db-1');
  const migrate = await inspect(t.d, 'order-migrate-1');
  const app = await inspect(t.d, 'order-app-1');
  // db can be healthy no sooner than 2 s after it started (it creates the probed file then)
  const dbStart = Date.parse(db.State.StartedAt);
  assert.ok(Date.parse(migrate.State.StartedAt) - dbStart >= 2000, `migrate started ${Date.parse(migrate.State.StartedAt) - dbStart} ms after db, before db could be healthy`);
  assert.equal(migrate.State.ExitCode, 0);
  assert.ok(Date.parse(app.State.StartedAt) >= Date.parse(migrate.State.FinishedAt), 'app started after migrate finished');
  assert.equal((await p.composeOk(['logs', '--no-log-prefix', 'migrate'])).trim(), 'migrated');
  // the completed job is not restarted by another up, and nothing is recreated
  const again = await p.compose(['up', '-d']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await inspect(t.d, 'order-app-1')).Id, app.Id);
  assert.equal((await p.compose(['down', '-t', '1'])).code, 0);
  assert.deepEqual(await inventory(t.d), { containers: [], networks: [], volumes: [] });
});

test('a failing job leaves its dependents unstarted; --wait reports an unhealthy service', async () => {
  const p = project('fail', `
services:
  migrate:
    image: busybox
    command: ["sh", "-c", "echo broken; exit 3"]
  app:
    image: busybox
    command: ${loop}
    depends_on: {migrate: {condition: service_completed_successfully}}
`);
  const up = await p.compose(['up', '-d']);
  assert.notEqual(up.code, 0);
  assert.match(up.stderr, /service "migrate" didn't complete successfully: exit 3/);
  // as v2: every container is created first, and the dependent is never started
  assert.deepEqual((await inventory(t.d)).containers, ['fail-app-1', 'fail-migrate-1']);
  assert.equal((await inspect(t.d, 'fail-app-1')).State.Status, 'created');
  assert.equal((await p.compose(['down'])).code, 0);

  const q = project('sick', `
services:
  web:
    image: busybox
    command: ${loop}
    healthcheck: {test: ["CMD", "false"], interval: 200ms, retries: 2}
`);
  const w = await q.compose(['up', '-d', '--wait', '--wait-timeout', '30']);
  assert.notEqual(w.code, 0);
  assert.match(w.stderr, /container sick-web-1 is unhealthy/);
  assert.equal((await q.compose(['down', '-t', '0'])).code, 0);
});

test('a port already taken fails the service with the reason; once freed, up converges', async () => {
  const port = await freePort();
  const blocker = net.createServer().listen(port, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const p = project('ports', `
services:
  web:
    image: busybox
    command: ["httpd", "-f", "-p", "80"]
    ports: ["127.0.0.1:${port}:80"]
  side:
    image: busybox
    command: ${loop}
`);
  try {
    const up = await p.compose(['up', '-d']);
    assert.notEqual(up.code, 0);
    assert.match(up.stderr, /service "web": container ports-web-1: .*(address already in use|port is already allocated|bind)/i);
  } finally {
    await new Promise((r) => blocker.close(r));
  }
  const again = await p.compose(['up', '-d']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await inspect(t.d, 'ports-web-1')).State.Running, true);
  assert.equal((await inspect(t.d, 'ports-side-1')).State.Running, true);
  assert.equal((await p.compose(['down', '-t', '1'])).code, 0);
});

test('scale up and down, deploy.replicas, and orphans removed with --remove-orphans', async () => {
  const yaml = (extra = '') => `
services:
  worker:
    image: busybox
    command: ${loop}
    deploy: {replicas: 2}
${extra}`;
  const p = project('scale', yaml('  old:\n    image: busybox\n    command: ' + loop + '\n'));
  assert.equal((await p.compose(['up', '-d'])).code, 0);
  assert.deepEqual((await inventory(t.d)).containers, ['scale-old-1', 'scale-worker-1', 'scale-worker-2']);
  assert.equal((await p.compose(['up', '-d', '--scale', 'worker=4'])).code, 0);
  assert.deepEqual((await inventory(t.d)).containers, ['scale-old-1', 'scale-worker-1', 'scale-worker-2', 'scale-worker-3', 'scale-worker-4']);
  const ids = await Promise.all([1, 2].map(async (n) => (await inspect(t.d, `scale-worker-${n}`)).Id));
  assert.equal((await p.compose(['up', '-d', '--scale', 'worker=1'])).code, 0);
  assert.deepEqual((await inventory(t.d)).containers, ['scale-old-1', 'scale-worker-1']);
  assert.equal((await inspect(t.d, 'scale-worker-1')).Id, ids[0]);

  p.write({ 'compose.yaml': yaml() });
  const warn = await p.compose(['up', '-d']);
  assert.match(warn.stderr, /Found orphan containers \(\[scale-old-1\]\)/);
  assert.equal((await p.compose(['up', '-d', '--remove-orphans'])).code, 0);
  assert.deepEqual((await inventory(t.d)).containers, ['scale-worker-1', 'scale-worker-2']);
  assert.equal((await p.compose(['down', '-t', '1'])).code, 0);
});

test('attached up: logs of the services, --exit-code-from stops the rest and passes the code through', async () => {
  const p = project('attached', `
services:
  test:
    image: busybox
    command: ["sh", "-c", "sleep 1; echo tests passed; exit 6"]
  server:
    image: busybox
    command: ["sh", "-c", "echo server up; trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]
`);
  const r = await p.compose(['up', '--exit-code-from', 'test', '--no-color']);
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stdout, /test-1 +\| tests passed/);
  assert.match(r.stdout, /server-1 +\| server up/);
  assert.match(r.stdout, /test-1 +\| exited with code 6/);
  assert.equal((await inspect(t.d, 'attached-server-1')).State.Running, false);
  assert.equal((await p.compose(['down'])).code, 0);
});
