/**
 * `berth network …`, `berth port` and `berth inspect <network>` through main() against a fake daemon:
 * output, stderr and exit statuses as docker 28's for the same answers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDaemon } from '../../client/fakedaemon.js';
import { runCli } from '../testutil.js';


const WEB = '4f66ad9a0b2ef1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e';
const FRONT = {
  Name: 'front',
  Id: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  Created: '2024-05-01T10:00:00Z',
  Scope: 'local',
  Driver: 'bridge',
  EnableIPv4: true,
  EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigFrom: { Network: '' },
  ConfigOnly: false,
  Containers: { [WEB]: { Name: 'web', EndpointID: 'e1', MacAddress: '02:42:ac:12:00:02', IPv4Address: '172.18.0.2/16', IPv6Address: '', HostInterface: 'veth4f66ad9' } },
  Options: {},
  Labels: {},
};
const BRIDGE = { ...FRONT, Name: 'bridge', Id: 'fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210', Containers: {} };
const WEB_INSPECT = { Id: WEB, Name: '/web', NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }], '53/udp': null } } };

const fake = await fakeDaemon('berth-netcli-', ({ method, pathname, url }, send, res) => {
  const p = pathname.replace(/^\/v1\.47/, '');
  switch (`${method} ${p}`) {
    case 'GET /networks':
      return send(200, [FRONT, BRIDGE]);
    case 'GET /networks/front':
      return send(200, FRONT);
    case 'POST /networks/create':
      return send(201, { Id: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00', Warning: '' });
    case 'DELETE /networks/front':
    case 'DELETE /networks/back':
      res.writeHead(204);
      return res.end();
    case 'DELETE /networks/bridge':
      return send(403, { message: 'bridge is a pre-defined network and cannot be removed' });
    case 'POST /networks/prune':
      return send(200, { NetworksDeleted: ['back', 'old'] });
    case 'POST /networks/front/connect':
    case 'POST /networks/front/disconnect':
      return send(200);
    case 'POST /networks/nope/connect':
      return send(404, { message: 'network nope not found' });
    case 'GET /containers/web/json':
    case `GET /containers/${WEB}/json`:
      return send(200, WEB_INSPECT);
    default:
      if (method === 'GET' && /^\/(containers|images)\/[^/]+\/json$/.test(p)) return send(404, { message: `No such ${p.startsWith('/c') ? 'container' : 'image'}: ${p.split('/')[2]}` });
      if (/^\/networks\/[^/]+$/.test(p)) return send(404, { message: `network ${p.split('/')[2]} not found` });
      return send(500, { message: `unexpected ${method} ${url}` });
  }
});
const { dir, sock, seen } = fake;

after(() => fake.close());

const berth = (args: string[], input = '') => runCli(sock, args, input);

const lastBody = (method: string, path: string) => JSON.parse([...seen].reverse().find((s) => s.method === method && s.url.startsWith(`/v1.47${path}`))?.body ?? 'null') as unknown;

test('network ls: table, quiet, no-trunc, filters, alias', async () => {
  const r = await berth(['network', 'ls']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'NETWORK ID     NAME      DRIVER    SCOPE\nfedcba987654   bridge    bridge    local\n0123456789ab   front     bridge    local\n');
  assert.equal((await berth(['network', 'list', '-q'])).stdout, 'fedcba987654\n0123456789ab\n');
  assert.equal((await berth(['network', 'ls', '-q', '--no-trunc'])).stdout, `${BRIDGE.Id}\n${FRONT.Id}\n`);
  assert.equal((await berth(['network', 'ls', '--format', '{{.Name}}: {{.Driver}}'])).stdout, 'bridge: bridge\nfront: bridge\n');
  await berth(['network', 'ls', '-f', 'Driver= bridge ', '--filter', 'name=front']);
  const url = [...seen].reverse().find((s) => s.url.startsWith('/v1.47/networks?'))?.url ?? '';
  assert.deepEqual(JSON.parse(new URL(url, 'http://x').searchParams.get('filters') ?? ''), { driver: ['bridge'], name: ['front'] });
  const bad = await berth(['network', 'ls', '-f', 'nonsense']);
  assert.equal(bad.status, 125);
  assert.equal(bad.stderr, `invalid argument "nonsense" for "-f, --filter" flag: bad format of filter (expected name=value)\n\nUsage:  berth network ls [OPTIONS]\n\nRun 'berth network ls --help' for more information\n`);
  assert.equal((await berth(['network', 'ls', 'extra'])).status, 1);
});

test('network create prints the id and sends docker\'s body', async () => {
  const r = await berth(['network', 'create', '-d', 'bridge', '--subnet', '172.28.0.0/16', '--gateway', '172.28.0.1', '--label', 'a=b', '-o', 'com.docker.network.driver.mtu=1400', '--internal', 'back']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00\n');
  assert.deepEqual(lastBody('POST', '/networks/create'), {
    Driver: 'bridge',
    Scope: '',
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '172.28.0.0/16', Gateway: '172.28.0.1' }] },
    Internal: true,
    Attachable: false,
    Ingress: false,
    ConfigOnly: false,
    ConfigFrom: null,
    Options: { 'com.docker.network.driver.mtu': '1400' },
    Labels: { a: 'b' },
    Name: 'back',
  });
  const v6 = await berth(['network', 'create', '--ipv6', '--ipv4=false', 'six']);
  assert.equal(v6.status, 0);
  const body = lastBody('POST', '/networks/create') as Record<string, unknown>;
  assert.equal(body.EnableIPv6, true);
  assert.equal(body.EnableIPv4, false);
  const mismatch = await berth(['network', 'create', '--subnet', '10.0.0.0/24', '--gateway', '10.1.0.1', 'x']);
  assert.deepEqual([mismatch.status, mismatch.stderr], [1, 'no matching subnet for gateway 10.1.0.1\n']);
  const noName = await berth(['network', 'create']);
  assert.equal(noName.status, 1);
});

test('network rm: goes on after a failure, status 1, daemon message on stderr', async () => {
  const r = await berth(['network', 'rm', 'front', 'bridge', 'nope', 'back']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, 'front\nback\n');
  assert.equal(r.stderr, 'Error response from daemon: bridge is a pre-defined network and cannot be removed\nError response from daemon: network nope not found\n');
  const forced = await berth(['network', 'remove', '-f', 'nope', 'front']);
  assert.deepEqual([forced.status, forced.stdout, forced.stderr], [0, 'front\n', '']);
});

test('network prune: prompt, cancel, force', async () => {
  const prompt = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ';
  const before = seen.filter((s) => s.url.startsWith('/v1.47/networks/prune')).length;
  const no = await berth(['network', 'prune'], 'n\n');
  assert.deepEqual([no.status, no.stdout, no.stderr], [0, prompt, '']);
  assert.equal(seen.filter((s) => s.url.startsWith('/v1.47/networks/prune')).length, before);
  const yes = await berth(['network', 'prune'], 'y\n');
  assert.deepEqual([yes.status, yes.stdout], [0, `${prompt}Deleted Networks:\nback\nold\n\n`]);
  const forced = await berth(['network', 'prune', '-f', '--filter', 'until=24h']);
  assert.equal(forced.stdout, 'Deleted Networks:\nback\nold\n\n');
  const url = [...seen].reverse().find((s) => s.url.startsWith('/v1.47/networks/prune'))?.url ?? '';
  assert.deepEqual(JSON.parse(new URL(url, 'http://x').searchParams.get('filters') ?? ''), { until: ['24h'] });
});

test('network connect / disconnect', async () => {
  const r = await berth(['network', 'connect', '--alias', 'www', '--alias', 'w2', '--ip', '172.18.0.9', '--link', 'db:database', 'front', 'web']);
  assert.deepEqual([r.status, r.stdout, r.stderr], [0, '', '']);
  const body = lastBody('POST', '/networks/front/connect') as { Container: string; EndpointConfig: Record<string, unknown> };
  assert.equal(body.Container, 'web');
  assert.deepEqual(body.EndpointConfig.Aliases, ['www', 'w2']);
  assert.deepEqual(body.EndpointConfig.IPAMConfig, { IPv4Address: '172.18.0.9' });
  assert.deepEqual(body.EndpointConfig.Links, ['db:database']);
  const missing = await berth(['network', 'connect', 'nope', 'web']);
  assert.deepEqual([missing.status, missing.stderr], [1, 'Error response from daemon: network nope not found\n']);
  const badLink = await berth(['network', 'connect', '--link', 'a:b:c', 'front', 'web']);
  assert.equal(badLink.status, 125);
  assert.match(badLink.stderr, /^invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c\n\nUsage: {2}berth network connect \[OPTIONS\] NETWORK CONTAINER\n/);
  const d = await berth(['network', 'disconnect', '-f', 'front', 'web']);
  assert.equal(d.status, 0);
  assert.deepEqual(lastBody('POST', '/networks/front/disconnect'), { Container: 'web', Force: true });
  assert.equal((await berth(['network', 'disconnect', 'front'])).status, 1);
});

test('network inspect and inspect of a network', async () => {
  const r = await berth(['network', 'inspect', 'front']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, `${JSON.stringify([FRONT], null, 4)}\n`);
  const f = await berth(['network', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'front', 'nope']);
  assert.deepEqual([f.status, f.stdout, f.stderr], [1, 'front bridge\n', 'Error response from daemon: network nope not found\n']);
  const none = await berth(['network', 'inspect', 'nope']);
  assert.deepEqual([none.status, none.stdout], [1, '[]\n']);
  await berth(['network', 'inspect', '-v', 'front']);
  assert.ok(seen.some((s) => s.url === '/v1.47/networks/front?verbose=1'));
  const any = await berth(['inspect', '--format', '{{.Id}}', 'front']);
  assert.deepEqual([any.status, any.stdout], [0, `${FRONT.Id}\n`]);
  const typed = await berth(['inspect', '--type', 'network', '-f', '{{.Name}}', 'front']);
  assert.equal(typed.stdout, 'front\n');
  const missing = await berth(['inspect', 'nothing']);
  assert.deepEqual([missing.status, missing.stderr], [1, 'Error: No such object: nothing\n']);
});

test('port', async () => {
  assert.deepEqual(await berth(['port', 'web']), { status: 0, stdout: '80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n', stderr: '' });
  assert.deepEqual(await berth(['container', 'port', 'web', '80']), { status: 0, stdout: '0.0.0.0:8080\n[::]:8080\n', stderr: '' });
  assert.deepEqual(await berth(['port', 'web', '81/tcp']), { status: 1, stdout: '', stderr: "Error: No public port '81/tcp' published for web\n" });
  assert.deepEqual(await berth(['port', 'web', '53/udp']), { status: 1, stdout: '', stderr: "Error: No public port '53/udp' published for web\n" });
  const missing = await berth(['port', 'ghost']);
  assert.deepEqual([missing.status, missing.stderr], [1, 'Error response from daemon: No such container: ghost\n']);
  assert.equal((await berth(['port', 'web', '80', 'extra'])).status, 1);
});

test('network diagram: text, and SVG to a file', async () => {
  const file = join(dir, 'front.svg');
  const r = await berth(['network', 'diagram', 'front', '--svg', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      'network front  (bridge, local, id 0123456789ab)',
      'bridge br-0123456789ab',
      'subnet 172.18.0.0/16  gateway 172.18.0.1',
      ' │',
      ' └── web  4f66ad9a0b2e',
      '      veth   veth4f66ad9',
      '      ipv4   172.18.0.2',
      '      mac    02:42:ac:12:00:02',
      '      ports  80/tcp -> 0.0.0.0:8080',
      '             80/tcp -> [::]:8080',
      '',
    ].join('\n'),
  );
  const svg = readFileSync(file, 'utf8');
  assert.match(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, />veth4f66ad9</);
  const missing = await berth(['network', 'diagram', 'nope']);
  assert.deepEqual([missing.status, missing.stderr], [1, 'Error response from daemon: network nope not found\n']);
});
