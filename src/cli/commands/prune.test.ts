/**
 * `berth system prune` and `berth container prune` against a fake daemon: prompts, the order of the
 * requests, their filters, and the reports are what docker 28 prints and sends for the same answers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fakeDaemon } from '../../client/fakedaemon.js';
import { runCli } from '../testutil.js';

let emptyContainers = false;
const fake = await fakeDaemon('berth-prunecli-', ({ method, pathname }, send) => {
  const p = pathname.replace(/^\/v1\.47/, '');
  switch (`${method} ${p}`) {
    case 'POST /containers/prune': return send(200, { ContainersDeleted: emptyContainers ? null : ['aaa'], SpaceReclaimed: emptyContainers ? 0 : 1000 });
    case 'POST /networks/prune': return send(200, { NetworksDeleted: ['n1'] });
    case 'POST /volumes/prune': return send(200, { VolumesDeleted: ['v1'], SpaceReclaimed: 10 });
    case 'POST /images/prune': return send(200, { ImagesDeleted: [{ Untagged: 'x:latest' }, { Deleted: 'sha256:abc' }], SpaceReclaimed: 2000 });
    case 'POST /build/prune': return send(200, { CachesDeleted: null, SpaceReclaimed: 0 });
    default: return send(500, { message: `unexpected ${method} ${p}` });
  }
});
after(() => fake.close());
const berth = (args: string[], input = '') => runCli(fake.sock, args, input);

/** The prune requests since `from`, as "path filters [all]". */
function requests(from: number): string[] {
  return fake.seen.slice(from).map((s) => {
    const u = new URL(s.url, 'http://x');
    return [u.pathname.replace(/^\/v1\.47/, ''), u.searchParams.get('filters') ?? '', u.searchParams.get('all') ?? ''].join(' ').trim();
  });
}

test('system prune -f: containers, networks, images, build cache; docker\'s report', async () => {
  const from = fake.seen.length;
  const r = await berth(['system', 'prune', '-f']);
  assert.deepEqual([r.status, r.stderr], [0, '']);
  assert.equal(r.stdout, 'Deleted Containers:\naaa\n\nDeleted Networks:\nn1\n\nDeleted Images:\nuntagged: x:latest\ndeleted: sha256:abc\n\nTotal reclaimed space: 3kB\n');
  assert.deepEqual(requests(from), ['/containers/prune', '/networks/prune', '/images/prune {"dangling":["true"]}', '/build/prune']);
});

test('system prune -a --volumes --filter: volumes too, every image, all build cache', async () => {
  const from = fake.seen.length;
  const r = await berth(['system', 'prune', '-a', '--volumes', '-f', '--filter', 'label=a=b']);
  assert.equal(r.stdout, 'Deleted Containers:\naaa\n\nDeleted Networks:\nn1\n\nDeleted Volumes:\nv1\n\nDeleted Images:\nuntagged: x:latest\ndeleted: sha256:abc\n\nTotal reclaimed space: 3.01kB\n');
  const l = '{"label":["a=b"]}';
  assert.deepEqual(requests(from), [`/containers/prune ${l}`, `/networks/prune ${l}`, `/volumes/prune ${l}`, '/images/prune {"label":["a=b"],"dangling":["false"]}', `/build/prune ${l} 1`]);
});

test('system prune: the prompt lists what goes and the filters; no cancels quietly', async () => {
  const from = fake.seen.length;
  const r = await berth(['system', 'prune'], 'n\n');
  assert.deepEqual([r.status, r.stderr], [0, '']);
  assert.equal(r.stdout, 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\nAre you sure you want to continue? [y/N] ');
  const f = await berth(['system', 'prune', '-a', '--filter', 'label=x', '--filter', 'until=1h', '--filter', 'label!=y'], 'n\n');
  assert.equal(f.stdout, 'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all images without at least one container associated to them\n  - all build cache\n\n' +
    '  Items to be pruned will be filtered with:\n  - label!=y\n  - label=x\n  - until=1h\n\nAre you sure you want to continue? [y/N] ');
  assert.deepEqual(requests(from), []);
  const v = await berth(['system', 'prune', '--volumes'], 'n\n');
  assert.match(v.stdout, /  - all anonymous volumes not used by at least one container\n/);
  const y = await berth(['system', 'prune'], 'y\n');
  assert.match(y.stdout, /\[y\/N\] Deleted Containers:\naaa\n/);
});

test('system prune: until with --volumes, bad filters, arguments', async () => {
  const from = fake.seen.length;
  const u = await berth(['system', 'prune', '--volumes', '--filter', 'until=1h', '-f']);
  assert.deepEqual([u.status, u.stdout, u.stderr], [1, '', 'ERROR: The "until" filter is not supported with "--volumes"\n']);
  const bad = await berth(['system', 'prune', '--filter', 'foo', '-f']);
  assert.equal(bad.status, 125);
  assert.match(bad.stderr, /invalid argument "foo" for "--filter" flag: bad format of filter \(expected name=value\)/);
  assert.equal((await berth(['system', 'prune', 'x'])).status, 1);
  assert.deepEqual(requests(from), []);
});

test('container prune: prompt, report, nothing deleted', async () => {
  const from = fake.seen.length;
  const no = await berth(['container', 'prune'], 'n\n');
  assert.deepEqual([no.status, no.stdout], [0, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ']);
  assert.deepEqual(requests(from), []);
  const r = await berth(['container', 'prune', '-f', '--filter', 'until=24h', '--filter', 'label=x']);
  assert.equal(r.stdout, 'Deleted Containers:\naaa\n\nTotal reclaimed space: 1kB\n');
  assert.deepEqual(requests(from), ['/containers/prune {"until":["24h"],"label":["x"]}']);
  emptyContainers = true;
  try {
    assert.equal((await berth(['container', 'prune', '-f'])).stdout, 'Total reclaimed space: 0B\n');
  } finally {
    emptyContainers = false;
  }
});
