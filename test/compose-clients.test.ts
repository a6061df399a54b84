/**
 * The clients people already have, against berthd: the docker CLI v28 running Berth's Compose as its
 * `docker compose` plugin, and Debian's docker-compose 1.29.2 on a real project (a user network, a named
 * volume, depends_on, logs, exec, `down -v`). Both see the project by compose's labels.
 */
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { busyboxDaemon, waitFor } from './harness.js';
import { ComposeProject, inspect, inventory } from './compose-project.js';

const t = busyboxDaemon();
const cleanup: (() => void)[] = [];
after(() => cleanup.forEach((f) => f()));
// whatever a test left behind (it failed half-way) is gone before the next one
afterEach(async () => {
  for (const c of (await t.d.request('GET', '/containers/json?all=1')).json() as { Id: string }[]) await t.d.request('DELETE', `/containers/${c.Id}?force=1&v=1`);
  for (const n of (await t.d.request('GET', '/networks')).json() as { Name: string }[]) if (!['bridge', 'host', 'none'].includes(n.Name)) await t.d.request('DELETE', `/networks/${n.Name}`);
  for (const v of ((await t.d.request('GET', '/volumes')).json() as { Volumes: { Name: string }[] | null }).Volumes ?? []) await t.d.request('DELETE', `/volumes/${v.Name}`);
});

const project = `
services:
  api:
    image: busybox
    command: ["sh", "-c", "echo api starting; echo stored > /state/value; exec httpd -f -p 8000 -h /state"]
    volumes: ["state:/state"]
    networks: [backend]
    stop_grace_period: 1s
  client:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo client read $$(wget -q -O- http://api:8000/value); sleep 1 & wait; done"]
    depends_on: [api]
    networks: [backend]
networks:
  backend: {}
volumes:
  state: {}
`;

test('berth compose install-plugin: the docker CLI runs `docker compose` through Berth', async () => {
  const p = new ComposeProject(t.d, 'plug', { 'compose.yaml': project });
  const cfg = mkdtempSync('/tmp/bt-dockercfg-');
  cleanup.push(() => p.remove(), () => rmSync(cfg, { recursive: true, force: true }));
  const inst = await p.compose(['install-plugin'], { DOCKER_CONFIG: cfg });
  assert.equal(inst.code, 0, inst.stderr);
  const plugin = path.join(cfg, 'cli-plugins', 'docker-compose');
  assert.ok(statSync(plugin).mode & 0o111, 'the plugin is executable');
  // the plugin metadata protocol, as the docker CLI asks for it
  const meta = JSON.parse(execFileSync(plugin, ['docker-cli-plugin-metadata']).toString()) as { SchemaVersion: string; Vendor: string };
  assert.equal(meta.SchemaVersion, '0.1.0');
  assert.equal(meta.Vendor, 'Berth');
  const v = await p.docker(['compose', 'version'], cfg);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /Docker Compose version v2\.\d+\.\d+ \(berth\)/);
  const info = await p.docker(['info', '--format', '{{json .ClientInfo.Plugins}}'], cfg);
  assert.match(info.stdout, /"Name":"compose"/);

  const up = await p.docker(['compose', '-p', 'plug', 'up', '-d'], cfg);
  assert.equal(up.code, 0, up.stderr);
  assert.deepEqual((await inventory(t.d)).containers, ['plug-api-1', 'plug-client-1']);
  await waitFor(async () => (await p.docker(['compose', '-p', 'plug', 'logs', 'client'], cfg)).stdout.includes('client read stored'), 60000, 'client output');
  const ps = await p.docker(['compose', '-p', 'plug', 'ps', '--services'], cfg);
  assert.deepEqual(ps.stdout.trim().split('\n').sort(), ['api', 'client']);
  // the same project seen by berth compose
  assert.deepEqual((await p.composeOk(['ps', '--services'])).trim().split('\n').sort(), ['api', 'client']);
  const down = await p.docker(['compose', '-p', 'plug', 'down', '-v', '-t', '1'], cfg);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(await inventory(t.d), { containers: [], networks: [], volumes: [] });
});

test('docker-compose 1.29.2 drives a project on berthd: network, volume, depends_on, logs, exec, down -v', async () => {
  const p = new ComposeProject(t.d, 'legacy', { 'docker-compose.yml': project.replace(/\$\$/g, '$$$$') });
  cleanup.push(() => p.remove());
  const up = await p.v1(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  const inv = await inventory(t.d);
  assert.deepEqual(inv.containers, ['legacy_api_1', 'legacy_client_1']);
  assert.deepEqual(inv.networks, ['legacy_backend']);
  assert.deepEqual(inv.volumes, ['legacy_state']);
  const api = await inspect(t.d, 'legacy_api_1');
  assert.equal(api.Config.Labels['com.docker.compose.project'], 'legacy');
  assert.equal(api.Config.Labels['com.docker.compose.service'], 'api');
  await waitFor(async () => (await p.v1(['logs', '--no-color', 'client'])).stdout.includes('client read stored'), 90000, 'client output through v1 logs');
  const ex = await p.v1(['exec', '-T', 'api', 'cat', '/state/value']);
  assert.equal(ex.code, 0, ex.stderr);
  assert.equal(ex.stdout.trim(), 'stored');
  const code = await p.v1(['exec', '-T', 'api', 'sh', '-c', 'exit 5']);
  assert.equal(code.code, 5);
  const ps = await p.v1(['ps']);
  assert.match(ps.stdout, /legacy_api_1 .* Up/);

  // berth compose sees v1's project through the same labels
  const seen = await p.composeOk(['ps', '--format', 'json']);
  assert.deepEqual(seen.trim().split('\n').map((l) => (JSON.parse(l) as { Name: string }).Name).sort(), ['legacy_api_1', 'legacy_client_1']);

  const down = await p.v1(['down', '-v', '-t', '1']);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(await inventory(t.d), { containers: [], networks: [], volumes: [] });
});

test('a project made by berth compose is taken down by docker-compose 1.29.2', async () => {
  const p = new ComposeProject(t.d, 'mixed', { 'docker-compose.yml': project });
  cleanup.push(() => p.remove());
  assert.equal((await p.compose(['up', '-d'])).code, 0);
  const ps = await p.v1(['ps', '--services']);
  assert.deepEqual(ps.stdout.trim().split('\n').sort(), ['api', 'client']);
  const down = await p.v1(['down', '-v', '-t', '1']);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(await inventory(t.d), { containers: [], networks: [], volumes: [] });
});
