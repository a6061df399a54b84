/**
 * `berth compose` against a real berthd, on a project shaped like a real one: a web server, a database
 * with a named volume and a healthcheck, a cache and a worker that talks to the database by service
 * name. Labels are compose v2's, a second `up` changes nothing, a changed service alone is recreated,
 * exec and run pass exit codes through, and `down -v` removes what the project made and nothing else.
 */
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { busyboxDaemon, freePort, waitFor } from './harness.js';
import { ComposeProject, inspect, inventory } from './compose-project.js';

const t = busyboxDaemon();
const projects: ComposeProject[] = [];
after(() => projects.forEach((p) => p.remove()));
afterEach(async () => {
  for (const p of projects) await p.compose(['down', '-v', '-t', '0']);
  await t.d.docker(['rm', '-f', 'bystander']);
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

const app = (port: number, mode = 'prod') => `
name: ignored-by-p
x-defaults: &defaults
  image: busybox
  stop_grace_period: 1s
services:
  web:
    <<: *defaults
    command: ["sh", "-c", "mkdir -p /www && echo \${GREETING:-hello} from web > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:${port}:80"]
    environment:
      MODE: ${mode}
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_started}
  db:
    <<: *defaults
    command: ["sh", "-c", "echo ready > /data/ready && exec httpd -f -p 5432 -h /data"]
    volumes: [dbdata:/data]
    healthcheck: {test: ["CMD", "test", "-f", "/data/ready"], interval: 300ms, retries: 20}
  cache:
    <<: *defaults
    command: ["httpd", "-f", "-p", "6379", "-h", "/tmp"]
  worker:
    <<: *defaults
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo worker got $$(wget -q -O- http://db:5432/ready); sleep 1 & wait; done"]
    depends_on: [web]
volumes:
  dbdata: {}
`;

test('a web app with a database, a cache and a worker: up, labels, ps, logs, exec, run, converge, down -v', async () => {
  const port = await freePort();
  const p = new ComposeProject(t.d, 'shop', { 'compose.yaml': app(port), '.env': 'GREETING=hi\n' });
  projects.push(p);
  // an unrelated container that `down` must leave alone
  assert.equal((await t.d.docker(['run', '-d', '--name', 'bystander', 'busybox', 'sleep', '300'])).code, 0);

  const up = await p.compose(['up', '-d']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /Container shop-db-1 {2}Healthy/);
  const inv = await inventory(t.d);
  assert.deepEqual(inv.containers, ['bystander', 'shop-cache-1', 'shop-db-1', 'shop-web-1', 'shop-worker-1']);
  assert.deepEqual(inv.networks, ['shop_default']);
  assert.deepEqual(inv.volumes, ['shop_dbdata']);

  // compose v2's labels, exactly
  const web = await inspect(t.d, 'shop-web-1');
  const image = (await t.d.request('GET', '/images/busybox/json')).json().Id as string;
  const L = web.Config.Labels as Record<string, string>;
  assert.equal(L['com.docker.compose.project'], 'shop');
  assert.equal(L['com.docker.compose.service'], 'web');
  assert.equal(L['com.docker.compose.container-number'], '1');
  assert.equal(L['com.docker.compose.oneoff'], 'False');
  assert.match(L['com.docker.compose.config-hash']!, /^[0-9a-f]{64}$/);
  assert.equal(L['com.docker.compose.project.working_dir'], p.dir);
  assert.equal(L['com.docker.compose.project.config_files'], `${p.dir}/compose.yaml`);
  assert.equal(L['com.docker.compose.depends_on'], 'db:service_healthy:false,cache:service_started:false');
  assert.equal(L['com.docker.compose.image'], image);
  assert.match(L['com.docker.compose.version']!, /^2\.\d+\.\d+$/);
  assert.equal((await p.composeOk(['config', '--hash', 'web'])).trim(), `web ${L['com.docker.compose.config-hash']}`);
  const net = (await t.d.request('GET', '/networks/shop_default')).json();
  assert.deepEqual([net.Labels['com.docker.compose.project'], net.Labels['com.docker.compose.network']], ['shop', 'default']);
  const vol = (await t.d.request('GET', '/volumes/shop_dbdata')).json();
  assert.deepEqual([vol.Labels['com.docker.compose.project'], vol.Labels['com.docker.compose.volume']], ['shop', 'dbdata']);
  assert.deepEqual(Object.keys(web.NetworkSettings.Networks), ['shop_default']);
  assert.ok(web.NetworkSettings.Networks.shop_default.Aliases.includes('web'));

  // the published port, .env interpolation, and the worker reaching the database by its service name
  assert.deepEqual(await get(port, '/'), { status: 200, body: 'hi from web\n' });
  await waitFor(async () => (await p.compose(['logs', 'worker'])).stdout.includes('worker-1  | worker got ready'), 60000, 'worker output');

  const ps = await p.composeOk(['ps', '--format', 'json']);
  const rows = ps.trim().split('\n').map((l) => JSON.parse(l) as { Service: string; State: string });
  assert.deepEqual(rows.map((r) => `${r.Service}:${r.State}`).sort(), ['cache:running', 'db:running', 'web:running', 'worker:running']);
  assert.deepEqual((await p.composeOk(['ps', '--services'])).trim().split('\n').sort(), ['cache', 'db', 'web', 'worker']);
  assert.equal((await p.composeOk(['ps', '-q'])).trim().split('\n').length, 4);

  // exec: output and the exit code passed through
  assert.equal((await p.composeOk(['exec', '-T', 'db', 'cat', '/data/ready'])).trim(), 'ready');
  const ex = await p.compose(['exec', '-T', '-e', 'X=7', 'web', 'sh', '-c', 'echo $X; exit 7']);
  assert.deepEqual([ex.code, ex.stdout.trim()], [7, '7']);

  // a one-off job: its own container, labelled oneoff, gone after --rm
  const run = await p.compose(['run', '--rm', '--no-deps', '-T', 'worker', 'sh', '-c', 'wget -q -O- http://db:5432/ready; exit 4']);
  assert.deepEqual([run.code, run.stdout.trim()], [4, 'ready']);
  assert.ok(!(await inventory(t.d)).containers.some((c) => c.includes('-run-')));

  // nothing changed: nothing recreated
  const ids = async () => Object.fromEntries(await Promise.all(['web', 'db', 'cache', 'worker'].map(async (s) => [s, (await inspect(t.d, `shop-${s}-1`)).Id as string])));
  const before = await ids();
  const again = await p.compose(['up', '-d']);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /Recreate|Created/);
  assert.deepEqual(await ids(), before);

  // one service changed: it alone is recreated
  p.write({ 'compose.yaml': app(port, 'staging') });
  assert.equal((await p.compose(['up', '-d'])).code, 0);
  const after1 = await ids();
  assert.notEqual(after1.web, before.web);
  assert.deepEqual([after1.db, after1.cache, after1.worker], [before.db, before.cache, before.worker]);
  assert.ok((await inspect(t.d, 'shop-web-1')).Config.Env.includes('MODE=staging'));

  const down = await p.compose(['down', '-v', '-t', '1']);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(await inventory(t.d), { containers: ['bystander'], networks: [], volumes: [] });
  await t.d.docker(['rm', '-f', 'bystander']);
});

test('bad input is reported with file, path and line, and creates nothing', async () => {
  const p = new ComposeProject(t.d, 'bad', {});
  projects.push(p);
  const cases: [string, string[], RegExp][] = [
    ['services:\n  web:\n    image: busybox\n    command: [\n', ['up', '-d'], /compose\.yaml:\d+: invalid YAML/],
    ['services:\n  web:\n    image: busybox\n    ports: [{target: "eighty"}]\n', ['up', '-d'], /compose\.yaml:4: services\.web\.ports\[0\]\.target: invalid target port "eighty"/],
    ['services:\n  web:\n    image: busybox\n    depends_on: [db]\n', ['up', '-d'], /compose\.yaml:4: services\.web\.depends_on\.db: service "web" depends on undefined service "db"/],
    ['services:\n  web:\n    image: busybox\n', ['up', '-d', 'nosuch'], /no such service: nosuch/],
    ['services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n', ['up', '-d'], /dependency cycle detected: a -> b -> a/],
    ['services:\n  web:\n    image: busybox\n    environment:\n      - PASSWORD=${DB_PASSWORD:?the database password}\n', ['up', '-d'], /compose\.yaml:5: services\.web\.environment\[0\]: required variable DB_PASSWORD is missing a value: the database password/],
    ['services:\n  web:\n    image: busybox\n    networks: [outside]\n    volumes: [data:/data]\nnetworks:\n  outside: {external: true}\nvolumes:\n  data: {}\n', ['up', '-d'], /network outside declared as external, but could not be found/],
    ['services:\n  web:\n    image: busybox\n    volumes: [data:/data]\nvolumes:\n  data: {external: true, name: gone}\n', ['up', '-d'], /external volume "gone" not found/],
  ];
  for (const [text, args, re] of cases) {
    p.write({ 'compose.yaml': text });
    const r = await p.compose(args);
    assert.notEqual(r.code, 0, text);
    assert.match(r.stderr, re, text);
    assert.deepEqual(await inventory(t.d), { containers: [], networks: [], volumes: [] }, text);
  }
});
