/**
 * Recreating a container as docker compose v2 does, against berthd: a changed service gets a new
 * container made under a temporary name while the old one still runs, which then goes; the new one keeps
 * the old one's anonymous volume (its data survives) and says whom it replaced; a create that fails
 * leaves the old container running under its name. And `up --wait` on a failing healthcheck names the
 * container, and converges once the healthcheck is fixed.
 */
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { busyboxDaemon } from './harness.js';
import { ComposeProject, inspect, inventory } from './compose-project.js';

const t = busyboxDaemon();
const projects: ComposeProject[] = [];
after(() => projects.forEach((p) => p.remove()));
afterEach(async () => {
  for (const p of projects) await p.compose(['down', '-v', '-t', '0', '--remove-orphans']);
});

const loop = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]`;
const app = (env: string, extra = '') => `
services:
  app:
    image: busybox
    command: ${loop}
    environment: {V: "${env}"}
    volumes: ["/data", "named:/named"]
${extra}volumes:
  named:
`;

test('recreate: new container first, the old one removed after; anonymous volume and its data kept', async () => {
  const p = new ComposeProject(t.d, 'recr', { 'compose.yaml': app('1') });
  projects.push(p);
  assert.equal((await p.compose(['up', '-d'])).code, 0);
  const old = await inspect(t.d, 'recr-app-1');
  const anon = old.Mounts.find((m: { Destination: string }) => m.Destination === '/data').Name as string;
  await p.composeOk(['exec', '-T', 'app', 'sh', '-c', 'echo kept > /data/f && echo kept > /named/f']);

  p.write({ 'compose.yaml': app('2') });
  const up = await p.compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /Recreate/);
  const now = await inspect(t.d, 'recr-app-1');
  assert.notEqual(now.Id, old.Id, 'a new container');
  assert.ok(now.Config.Env.includes('V=2'));
  assert.equal(now.Config.Labels['com.docker.compose.replace'], 'app-1');
  assert.equal(now.Mounts.find((m: { Destination: string }) => m.Destination === '/data').Name, anon, 'the anonymous volume is inherited');
  assert.equal((await p.composeOk(['exec', '-T', 'app', 'cat', '/data/f', '/named/f'])).trim(), 'kept\nkept');
  // one container: the old one and the temporary name are gone
  assert.deepEqual((await inventory(t.d)).containers, ['recr-app-1']);
  // nothing changed: nothing recreated
  assert.equal((await p.compose(['up', '-d'])).code, 0);
  assert.equal((await inspect(t.d, 'recr-app-1')).Id, now.Id);
});

test('recreate whose create fails: the old container stays, running, under its name', async () => {
  const p = new ComposeProject(t.d, 'recf', { 'compose.yaml': app('1') });
  projects.push(p);
  assert.equal((await p.compose(['up', '-d'])).code, 0);
  const old = await inspect(t.d, 'recf-app-1');
  // sharing the network of a container that does not exist: the daemon refuses the create
  p.write({ 'compose.yaml': app('2').replace('    volumes:', '    network_mode: "container:recf-no-such-container"\n    volumes:') });
  const up = await p.compose(['up', '-d']);
  assert.notEqual(up.code, 0);
  assert.match(up.stderr, /service "app"/);
  const still = await inspect(t.d, 'recf-app-1');
  assert.equal(still.Id, old.Id);
  assert.equal(still.State.Running, true);
  assert.deepEqual((await inventory(t.d)).containers, ['recf-app-1']);
  // fixed: the next up converges
  p.write({ 'compose.yaml': app('2') });
  assert.equal((await p.compose(['up', '-d'])).code, 0);
  assert.ok((await inspect(t.d, 'recf-app-1')).Config.Env.includes('V=2'));
});

test('up --wait with a failing healthcheck names the container; fixed, a second up --wait converges', async () => {
  const yaml = (check: string) => `
services:
  web:
    image: busybox
    command: ${loop}
    healthcheck: {test: ["CMD", "${check}"], interval: 200ms, retries: 2}
  side:
    image: busybox
    command: ${loop}
`;
  const p = new ComposeProject(t.d, 'waitfix', { 'compose.yaml': yaml('false') });
  projects.push(p);
  const w = await p.compose(['up', '-d', '--wait', '--wait-timeout', '30']);
  assert.notEqual(w.code, 0);
  assert.match(w.stderr, /container waitfix-web-1 is unhealthy/);
  p.write({ 'compose.yaml': yaml('true') });
  const again = await p.compose(['up', '-d', '--wait', '--wait-timeout', '30']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await inspect(t.d, 'waitfix-web-1')).State.Health.Status, 'healthy');
  assert.equal((await inspect(t.d, 'waitfix-side-1')).State.Running, true);
});
