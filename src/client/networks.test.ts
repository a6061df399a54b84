/** The /networks client against a fake daemon: paths, queries, bodies and errors. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BerthClient } from './client.js';
import { DaemonError, describeError } from './errors.js';
import { fakeDaemon } from './fakedaemon.js';


const fake = await fakeDaemon('berth-netclient-', ({ method, pathname, url }, send, res) => {
  switch (`${method} ${pathname}`) {
    case 'GET /v1.47/networks':
      return send(200, [{ Name: 'bridge', Id: 'b1' }]);
    case 'GET /v1.47/networks/front':
      return send(200, { Name: 'front', Id: 'f1', Containers: {} });
    case 'GET /v1.47/networks/nope':
    case 'DELETE /v1.47/networks/nope':
      return send(404, { message: 'network nope not found' });
    case 'POST /v1.47/networks/create':
      return send(201, { Id: 'abc123', Warning: '' });
    case 'DELETE /v1.47/networks/front':
      res.writeHead(204);
      return res.end();
    case 'POST /v1.47/networks/prune':
      return send(200, { NetworksDeleted: ['n1'] });
    case 'POST /v1.47/networks/front/connect':
    case 'POST /v1.47/networks/front/disconnect':
      return send(200);
    default:
      return send(500, { message: `unexpected ${method} ${url}` });
  }
});
const { dir, sock, seen } = fake;

after(() => fake.close());

const client = new BerthClient({ host: `unix://${sock}` });
const last = (prefix: string) => [...seen].reverse().find((s) => s.url.startsWith(prefix));

test('list with filters', async () => {
  assert.deepEqual(await client.networks.list({ filters: { driver: ['bridge'], name: ['front'] } }), [{ Name: 'bridge', Id: 'b1' }]);
  assert.equal(last('/v1.47/networks')?.url, `/v1.47/networks?filters=${encodeURIComponent('{"driver":["bridge"],"name":["front"]}')}`);
  await client.networks.list();
  assert.equal(last('/v1.47/networks')?.url, '/v1.47/networks');
});

test('inspect with verbose and scope; not found keeps the daemon message', async () => {
  assert.equal((await client.networks.inspect(' front ', { verbose: true, scope: 'local' })).Name, 'front');
  assert.equal(last('/v1.47/networks/front')?.url, '/v1.47/networks/front?verbose=1&scope=local');
  await assert.rejects(client.networks.inspect('nope'), (err: unknown) => err instanceof DaemonError && err.kind === 'NotFound' && describeError(err) === 'Error response from daemon: network nope not found');
});

test('an empty name never reaches the daemon', async () => {
  const before = seen.length;
  await assert.rejects(client.networks.remove('  '), (err: unknown) => describeError(err) === 'invalid network name or ID: value is empty');
  await assert.rejects(client.networks.connect('front', ''), /invalid container name or ID: value is empty/);
  assert.equal(seen.length, before);
});

test('create, remove, prune', async () => {
  const res = await client.networks.create({ Name: 'back', Driver: 'bridge', Labels: { a: 'b' } });
  assert.deepEqual(res, { Id: 'abc123', Warning: '' });
  assert.deepEqual(JSON.parse(last('/v1.47/networks/create')?.body ?? ''), { Name: 'back', Driver: 'bridge', Labels: { a: 'b' } });
  await client.networks.remove('front');
  assert.equal(last('/v1.47/networks/front')?.method, 'DELETE');
  await assert.rejects(client.networks.remove('nope'), (err: unknown) => err instanceof DaemonError && err.statusCode === 404);
  assert.deepEqual(await client.networks.prune({ until: ['24h'] }), { NetworksDeleted: ['n1'] });
  assert.equal(last('/v1.47/networks/prune')?.url, `/v1.47/networks/prune?filters=${encodeURIComponent('{"until":["24h"]}')}`);
});

test('connect and disconnect bodies', async () => {
  await client.networks.connect('front', 'web', { Aliases: ['www'], IPAMConfig: { IPv4Address: '172.18.0.9' } });
  assert.deepEqual(JSON.parse(last('/v1.47/networks/front/connect')?.body ?? ''), { Container: 'web', EndpointConfig: { Aliases: ['www'], IPAMConfig: { IPv4Address: '172.18.0.9' } } });
  await client.networks.connect('front', 'web');
  assert.deepEqual(JSON.parse(last('/v1.47/networks/front/connect')?.body ?? ''), { Container: 'web', EndpointConfig: null });
  await client.networks.disconnect('front', 'web', true);
  assert.deepEqual(JSON.parse(last('/v1.47/networks/front/disconnect')?.body ?? ''), { Container: 'web', Force: true });
});
