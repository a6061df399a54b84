/**
 * The /volumes routes over a real HTTP server on a unix socket, backed by a real VolumeService (in a
 * temp dir, with a fake mount table): Docker's status codes, messages and JSON field names.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiServer, Router } from '../http.js';
import { VolumeService } from '../../volumes/service.js';
import { VolumeStore } from '../../volumes/store.js';
import { FakeMounter } from '../../volumes/testutil.js';
import { volumeRoutes } from './volumes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-volroutes-'));
const sock = path.join(dir, 'api.sock');
const mounter = new FakeMounter();
const users = new Map<string, string[]>();
const svc = new VolumeService({ store: await VolumeStore.open(path.join(dir, 'volumes'), { mounter }), mounter, usedBy: (n) => users.get(n) ?? [] });
const router = new Router();
volumeRoutes(router, { volumes: svc });
const server = createApiServer(router, { log: () => undefined, serverHeader: 'Berth/test' });
await new Promise<void>((resolve) => server.listen(sock, resolve));
after(() => {
  server.close();
  server.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer { status: number; body: unknown; type: string }

function call(method: string, url: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request({ socketPath: sock, method, path: url, headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text), type: String(res.headers['content-type'] ?? '') });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const q = (filters: Record<string, string[]>) => encodeURIComponent(JSON.stringify(filters));

test('create: 201 with the Volume, same name again 201, anonymous names', async () => {
  const r = await call('POST', '/v1.47/volumes/create', { Name: 'data', Driver: 'local', DriverOpts: {}, Labels: { app: 'web' } });
  assert.equal(r.status, 201);
  assert.match(r.type, /application\/json/);
  const v = r.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.deepEqual([v.Name, v.Driver, v.Scope, v.Labels, v.Options, v.Mountpoint], ['data', 'local', 'local', { app: 'web' }, {}, path.join(dir, 'volumes', 'data', '_data')]);
  assert.match(v.CreatedAt as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const again = await call('POST', '/volumes/create', { Name: 'data', Labels: { other: 'x' } });
  assert.deepEqual([again.status, again.body], [201, v]);
  const anon = await call('POST', '/v1.43/volumes/create', {});
  assert.equal(anon.status, 201);
  assert.match((anon.body as { Name: string }).Name, /^[0-9a-f]{64}$/);
  assert.deepEqual((anon.body as { Labels: unknown }).Labels, { 'com.docker.volume.anonymous': '' });
  const empty = await call('POST', '/volumes/create');
  assert.equal(empty.status, 201, 'no body at all: an anonymous volume');
});

test('create: 400 for bad names, options and body types; 404 for unknown drivers; 503 for cluster volumes', async () => {
  const bad = await call('POST', '/volumes/create', { Name: 'x/y' });
  assert.deepEqual([bad.status, bad.body], [400, { message: `create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path` }]);
  assert.deepEqual(await call('POST', '/volumes/create', { Name: 'v1', DriverOpts: { bogus: '1' } }), { status: 400, body: { message: 'create v1: invalid option: "bogus"' }, type: 'application/json' });
  const types = await call('POST', '/volumes/create', { Name: 5 });
  assert.deepEqual([types.status, types.body], [400, { message: 'json: cannot unmarshal number into Go struct field CreateOptions.Name of type string' }]);
  const labels = await call('POST', '/volumes/create', { Name: 'v1', Labels: { a: 1 } });
  assert.deepEqual([labels.status, labels.body], [400, { message: 'json: cannot unmarshal number into Go struct field CreateOptions.Labels of type string' }]);
  assert.equal((await call('POST', '/volumes/create', '[1]')).status, 400);
  assert.equal((await call('POST', '/volumes/create', '{oops')).status, 400);
  const drv = await call('POST', '/volumes/create', { Name: 'v1', Driver: 'rexray' });
  assert.deepEqual([drv.status, drv.body], [404, { message: 'create v1: error looking up volume plugin rexray: plugin "rexray" not found' }]);
  assert.equal((await call('POST', '/v1.47/volumes/create', { Name: 'c1', ClusterVolumeSpec: { Group: 'g' } })).status, 503);
  assert.equal((await call('PUT', '/volumes/data?version=1', {})).status, 503);
});

test('list and inspect: {Volumes, Warnings}, filters, 404', async () => {
  const list = await call('GET', '/v1.47/volumes');
  assert.equal(list.status, 200);
  assert.deepEqual(Object.keys(list.body as object), ['Volumes', 'Warnings']);
  assert.equal((list.body as { Warnings: unknown }).Warnings, null);
  assert.ok((list.body as { Volumes: { Name: string }[] }).Volumes.some((v) => v.Name === 'data'));
  const named = await call('GET', `/volumes?filters=${q({ label: ['app=web'] })}`);
  assert.deepEqual((named.body as { Volumes: { Name: string }[] }).Volumes.map((v) => v.Name), ['data']);
  const mapForm = await call('GET', `/volumes?filters=${encodeURIComponent('{"name":{"^dat":true}}')}`);
  assert.deepEqual((mapForm.body as { Volumes: { Name: string }[] }).Volumes.map((v) => v.Name), ['data']);
  const badFilter = await call('GET', `/volumes?filters=${q({ until: ['1h'] })}`);
  assert.deepEqual([badFilter.status, badFilter.body], [400, { message: `invalid filter 'until'` }]);
  assert.equal((await call('GET', '/volumes?filters=notjson')).status, 400);
  const one = await call('GET', '/v1.47/volumes/data');
  assert.deepEqual([one.status, (one.body as { Name: string }).Name], [200, 'data']);
  assert.ok(!('Status' in (one.body as object)), 'the local driver has no Status');
  assert.ok(!('UsageData' in (one.body as object)), 'UsageData is for system df only');
  assert.deepEqual(await call('GET', '/volumes/nope'), { status: 404, body: { message: 'get nope: no such volume' }, type: 'application/json' });
});

test('delete: 204, 404, force, 409 in use', async () => {
  await call('POST', '/volumes/create', { Name: 'busy' });
  await call('POST', '/volumes/create', { Name: 'gone' });
  users.set('busy', ['c0ffee']);
  const inUse = await call('DELETE', '/v1.47/volumes/busy');
  assert.deepEqual([inUse.status, inUse.body], [409, { message: 'remove busy: volume is in use - [c0ffee]' }]);
  assert.equal((await call('DELETE', '/volumes/busy?force=1')).status, 409);
  const ok = await call('DELETE', '/volumes/gone');
  assert.deepEqual([ok.status, ok.body], [204, undefined]);
  assert.deepEqual(await call('DELETE', '/volumes/gone'), { status: 404, body: { message: 'get gone: no such volume' }, type: 'application/json' });
  assert.equal((await call('DELETE', '/volumes/gone?force=true')).status, 204);
  users.delete('busy');
  assert.equal((await call('DELETE', '/volumes/busy')).status, 204);
});

test('prune: anonymous only from API 1.42, everything unused before; {VolumesDeleted, SpaceReclaimed}', async () => {
  for (const n of ['p1', 'p2']) await call('POST', '/volumes/create', { Name: n });
  const anon = ((await call('POST', '/volumes/create', {})).body as { Name: string }).Name;
  users.set('data', ['c1']);
  const r = await call('POST', '/v1.47/volumes/prune');
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body as object), ['VolumesDeleted', 'SpaceReclaimed']);
  const deleted = (r.body as { VolumesDeleted: string[] }).VolumesDeleted;
  assert.ok(deleted.includes(anon));
  assert.ok(!deleted.includes('p1') && !deleted.includes('p2'));
  const labelled = await call('POST', `/v1.47/volumes/prune?filters=${q({ all: ['true'], label: ['nothing'] })}`);
  assert.deepEqual(labelled.body, { VolumesDeleted: [], SpaceReclaimed: 0 });
  const old = await call('POST', '/v1.41/volumes/prune');
  assert.deepEqual((old.body as { VolumesDeleted: string[] }).VolumesDeleted.sort(), ['p1', 'p2']);
  const left = ((await call('GET', '/volumes')).body as { Volumes: { Name: string }[] }).Volumes.map((v) => v.Name);
  assert.deepEqual(left, ['data']);
  const bad = await call('POST', `/volumes/prune?filters=${q({ dangling: ['true'] })}`);
  assert.deepEqual([bad.status, bad.body], [400, { message: `invalid filter 'dangling'` }]);
  users.delete('data');
});
