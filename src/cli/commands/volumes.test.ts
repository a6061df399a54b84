/**
 * `berth volume …` against a fake daemon: output, stderr, exit statuses and request bodies as docker
 * 28's for the same answers. The program is built as main() builds it, plus the volume commands.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fakeDaemon } from '../../client/fakedaemon.js';
import { runCli } from '../testutil.js';

const vol = (Name: string, extra: Record<string, unknown> = {}) => ({
  CreatedAt: '2024-05-01T10:00:00Z', Driver: 'local', Labels: {}, Mountpoint: `/var/lib/berth/volumes/${Name}/_data`, Name, Options: {}, Scope: 'local', ...extra,
});
const DATA = vol('data', { Labels: { tier: 'db', app: 'shop' } });
const V10 = vol('v10');
const V9 = vol('v9');

const fake = await fakeDaemon('berth-volcli-', ({ method, pathname, url, body }, send, res) => {
  const p = pathname.replace(/^\/v1\.47/, '');
  switch (`${method} ${p}`) {
    case 'GET /volumes':
      return send(200, { Volumes: [V10, DATA, V9], Warnings: null });
    case 'GET /volumes/data':
      return send(200, DATA);
    case 'POST /volumes/create': {
      const req = JSON.parse(body) as { Name: string };
      if (req.Name === 'x/y') return send(400, { message: 'create x/y: "x/y" includes invalid characters for a local volume name' });
      return send(201, vol(req.Name || 'f'.repeat(64)));
    }
    case 'DELETE /volumes/data':
    case 'DELETE /volumes/v9':
      res.writeHead(204);
      return res.end();
    case 'DELETE /volumes/busy':
      return send(409, { message: 'remove busy: volume is in use - [c0ffee]' });
    case 'POST /volumes/prune':
      return send(200, { VolumesDeleted: ['v9', 'v10'], SpaceReclaimed: 2000 });
    default:
      if (method === 'DELETE' && url.includes('force=1')) {
        res.writeHead(204);
        return res.end();
      }
      if (/^\/volumes\/[^/]+$/.test(p)) return send(404, { message: `get ${p.split('/')[2]}: no such volume` });
      return send(500, { message: `unexpected ${method} ${url}` });
  }
});
const { sock, seen } = fake;
after(() => fake.close());

const berth = (args: string[], input = '') => runCli(sock, args, input);

const last = (method: string, prefix: string) => [...seen].reverse().find((s) => s.method === method && s.url.startsWith(`/v1.47${prefix}`));
const filtersOf = (url: string | undefined) => JSON.parse(new URL(url ?? '', 'http://x').searchParams.get('filters') ?? 'null') as unknown;

test('volume ls: table in natural order, quiet, format, filters', async () => {
  const r = await berth(['volume', 'ls']);
  assert.deepEqual([r.status, r.stderr], [0, '']);
  assert.equal(r.stdout, 'DRIVER    VOLUME NAME\nlocal     data\nlocal     v9\nlocal     v10\n');
  assert.equal((await berth(['volume', 'list', '-q'])).stdout, 'data\nv9\nv10\n');
  assert.equal((await berth(['volume', 'ls', '--format', '{{.Name}} {{.Labels}} {{.Size}} {{.Links}}'])).stdout, 'data app=shop,tier=db N/A N/A\nv9  N/A N/A\nv10  N/A N/A\n');
  assert.equal(
    (await berth(['volume', 'ls', '--format', 'table {{.Name}}\t{{.Mountpoint}}'])).stdout,
    'VOLUME NAME   MOUNTPOINT\ndata          /var/lib/berth/volumes/data/_data\nv9            /var/lib/berth/volumes/v9/_data\nv10           /var/lib/berth/volumes/v10/_data\n',
  );
  const json = (await berth(['volume', 'ls', '--format', 'json'])).stdout.split('\n')[0] as string;
  assert.deepEqual(JSON.parse(json), { Availability: 'N/A', Driver: 'local', Group: 'N/A', Labels: 'app=shop,tier=db', Links: 'N/A', Mountpoint: '/var/lib/berth/volumes/data/_data', Name: 'data', Scope: 'local', Size: 'N/A', Status: 'N/A' });
  await berth(['volume', 'ls', '-f', 'dangling=true', '--filter', 'Label=tier=db']);
  assert.deepEqual(filtersOf(last('GET', '/volumes?')?.url), { dangling: ['true'], label: ['tier=db'] });
  const bad = await berth(['volume', 'ls', '-f', 'dangling']);
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /^invalid argument "dangling" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n\nUsage: {2}berth volume ls \[OPTIONS\]/);
  assert.equal((await berth(['volume', 'ls', 'extra'])).status, 1);
});

test('volume create: name as argument or --name, docker\'s body', async () => {
  const r = await berth(['volume', 'create', '-d', 'local', '--label', 'a=b', '--label', 'flag', '-o', 'type=tmpfs', '--opt', 'device=tmpfs', '-o', 'o=size=10m', 'data']);
  assert.deepEqual([r.status, r.stdout, r.stderr], [0, 'data\n', '']);
  assert.deepEqual(JSON.parse(last('POST', '/volumes/create')?.body ?? ''), {
    Driver: 'local', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=10m' }, Labels: { a: 'b', flag: '' }, Name: 'data',
  });
  assert.equal((await berth(['volume', 'create', '--name', 'other'])).stdout, 'other\n');
  const anon = await berth(['volume', 'create']);
  assert.deepEqual([anon.status, anon.stdout], [0, `${'f'.repeat(64)}\n`]);
  assert.deepEqual(JSON.parse(last('POST', '/volumes/create')?.body ?? ''), { Driver: 'local', DriverOpts: {}, Labels: {}, Name: '' });
  const both = await berth(['volume', 'create', '--name', 'a1', 'b1']);
  assert.deepEqual([both.status, both.stderr], [1, 'conflicting options: cannot specify a volume-name through both --name and as a positional arg\n']);
  const badLabel = await berth(['volume', 'create', '--label', '=v', 'x1']);
  assert.equal(badLabel.status, 125);
  assert.match(badLabel.stderr, /^invalid argument "=v" for "--label" flag: invalid label '=v': empty name\n\nUsage: {2}berth volume create \[OPTIONS\] \[VOLUME\]/);
  const daemon = await berth(['volume', 'create', 'x/y']);
  assert.deepEqual([daemon.status, daemon.stderr], [1, 'Error response from daemon: create x/y: "x/y" includes invalid characters for a local volume name\n']);
  assert.equal((await berth(['volume', 'create', 'a2', 'b2'])).status, 1);
});

test('volume inspect: JSON, templates, errors after the output', async () => {
  const r = await berth(['volume', 'inspect', 'data']);
  assert.deepEqual([r.status, r.stdout], [0, `${JSON.stringify([DATA], null, 4)}\n`]);
  const f = await berth(['volume', 'inspect', '-f', '{{.Name}} {{.Mountpoint}}', 'data', 'nope']);
  assert.deepEqual([f.status, f.stdout, f.stderr], [1, 'data /var/lib/berth/volumes/data/_data\n', 'Error response from daemon: get nope: no such volume\n']);
  const none = await berth(['volume', 'inspect', 'nope']);
  assert.deepEqual([none.status, none.stdout], [1, '[]\n']);
  assert.equal((await berth(['volume', 'inspect'])).status, 1);
});

test('volume rm: removed names, then the errors; -f', async () => {
  const r = await berth(['volume', 'rm', 'data', 'busy', 'nope', 'v9']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, 'data\nv9\n');
  assert.equal(r.stderr, 'Error response from daemon: remove busy: volume is in use - [c0ffee]\nError response from daemon: get nope: no such volume\n');
  const forced = await berth(['volume', 'remove', '-f', 'nope']);
  assert.deepEqual([forced.status, forced.stdout, forced.stderr], [0, 'nope\n', '']);
  assert.equal(last('DELETE', '/volumes/nope')?.url, '/v1.47/volumes/nope?force=1');
});

test('volume prune: prompt, cancel, force, --all, filters', async () => {
  const prompt = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ';
  const before = seen.filter((s) => s.url.startsWith('/v1.47/volumes/prune')).length;
  const no = await berth(['volume', 'prune'], 'n\n');
  assert.deepEqual([no.status, no.stdout, no.stderr], [0, prompt, '']);
  assert.equal(seen.filter((s) => s.url.startsWith('/v1.47/volumes/prune')).length, before);
  const yes = await berth(['volume', 'prune'], 'y\n');
  assert.deepEqual([yes.status, yes.stdout], [0, `${prompt}Deleted Volumes:\nv9\nv10\n\nTotal reclaimed space: 2kB\n`]);
  assert.equal(filtersOf(last('POST', '/volumes/prune')?.url), null);
  const all = await berth(['volume', 'prune', '-a', '-f', '--filter', 'label=tmp']);
  assert.equal(all.stdout, 'Deleted Volumes:\nv9\nv10\n\nTotal reclaimed space: 2kB\n');
  assert.deepEqual(filtersOf(last('POST', '/volumes/prune')?.url), { label: ['tmp'], all: ['true'] });
  const allPrompt = await berth(['volume', 'prune', '--all'], 'n\n');
  assert.equal(allPrompt.stdout, 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
  const conflicting = await berth(['volume', 'prune', '-a', '--filter', 'all=1']);
  assert.deepEqual([conflicting.status, conflicting.stderr], [1, 'conflicting options: cannot specify both --all and --filter all=1\n']);
  assert.equal((await berth(['volume', 'prune', 'x'])).status, 1);
});
