/**
 * The CLI's fast bundles (dist/bundle/cli/berth.cjs, what bin/berth runs: fast.cjs, and compose.cjs for
 * `berth compose`) against its full bundle (berth.js, ES modules) on a real berthd: the same stdout,
 * stderr and exit status for a set of verbs, for the commands they run themselves and for the heavy ones
 * they hand over to the full bundle. And bin/berth itself: through a symlink, from another directory,
 * without NODE_EXTRA_CA_CERTS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BERTH_CLI, BERTH_CLI_FULL, TestDaemon, runCmd, type ExecResult } from './harness.js';

let d: TestDaemon;

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
  const r = await d.docker(['run', '-d', '--name', 'web', '--network', 'none', 'busybox', 'sleep', '600']);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await d?.stop();
});

function cli(entry: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ExecResult> {
  return runCmd(process.execPath, [entry, ...args], { env: { ...process.env, DOCKER_HOST: d.host, BERTH_HOST: d.host, ...env } });
}

async function same(args: string[]): Promise<ExecResult> {
  const fast = await cli(BERTH_CLI, args);
  const full = await cli(BERTH_CLI_FULL, args);
  assert.deepEqual(fast, full, `berth ${args.join(' ')}`);
  return fast;
}

test('commands the fast bundle runs itself: same output and status as the full bundle', async () => {
  // (the default table has ages, which move between two calls)
  assert.match((await same(['ps', '--format', 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Names}}'])).stdout, /^CONTAINER ID {3}IMAGE {5}COMMAND {7}NAMES\n[0-9a-f]{12} {3}busybox {3}"sleep 600" {3}web\n$/);
  const head = async (entry: string) => (await cli(entry, ['ps'])).stdout.split('\n')[0]!.split(/ {2,}/);
  assert.deepEqual(await head(BERTH_CLI), await head(BERTH_CLI_FULL));
  assert.equal((await same(['ps', '-a', '--format', '{{.Names}} {{.Image}}'])).stdout, 'web busybox\n');
  await same(['images', '--format', 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}']);
  await same(['inspect', '--format', '{{.Name}} {{.State.Running}}', 'web']);
  await same(['version', '--format', '{{.Client.Version}}']);
  await same(['--version']);
  await same(['--help']);
  await same(['run', '--help']);
  await same(['container', '--help']);
  const ran = await cli(BERTH_CLI, ['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.deepEqual(ran, { code: 3, stdout: 'out\n', stderr: 'err\n' });
  assert.deepEqual(ran, await cli(BERTH_CLI_FULL, ['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']));
  assert.equal((await same(['exec', 'web', 'cat', '/etc/hostname'])).code, 0);
  assert.equal((await same(['inspect', 'nosuch'])).code, 1);
  assert.equal((await same(['ps', '--bogus'])).code, 125);
  assert.equal((await same(['run'])).code, 1);
  assert.equal((await same(['nosuchverb'])).code, 1);
  assert.equal((await same(['stop'])).code, 1);
});

test('berth compose runs from its own bundle, as the full one runs it', async () => {
  assert.match((await same(['compose', 'version'])).stdout, /^Docker Compose version /);
  await same(['compose', '--help']);
  await same(['compose', 'up', '--help']);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-compose-'));
  try {
    const file = path.join(dir, 'compose.yaml');
    await fsp.writeFile(file, 'services:\n  web:\n    image: busybox\n    environment: {A: "${A:-1}"}\n    depends_on: {db: {condition: service_healthy}}\n  db:\n    image: busybox\n    healthcheck: {test: ["CMD", "true"]}\n');
    const env = { BERTH_COMPOSE_CACHE: path.join(dir, 'valid') };
    const config = await cli(BERTH_CLI, ['compose', '-f', file, '-p', 'fastcheck', 'config'], env);
    assert.equal(config.code, 0, config.stderr);
    assert.deepEqual(await cli(BERTH_CLI_FULL, ['compose', '-f', file, '-p', 'fastcheck', 'config'], env), config);
    assert.deepEqual(await cli(BERTH_CLI, ['compose', '-f', file, '-p', 'fastcheck', 'ps', '-a'], env), await cli(BERTH_CLI_FULL, ['compose', '-f', file, '-p', 'fastcheck', 'ps', '-a'], env));
    // an error, with its status
    const bad = await cli(BERTH_CLI, ['compose', '-f', path.join(dir, 'missing.yaml'), 'config'], env);
    assert.notEqual(bad.code, 0);
    assert.deepEqual(await cli(BERTH_CLI_FULL, ['compose', '-f', path.join(dir, 'missing.yaml'), 'config'], env), bad);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('heavy commands are handed over to the full bundle, with the same argv and result', async () => {
  assert.equal((await same(['docker-cli-plugin-metadata'])).code, 0);
  assert.equal((await same(['builder', 'prune', '-f'])).code, 0);
  assert.equal((await same(['bootstrap', 'nosuch'])).code, 1);
  assert.equal((await same(['registry', 'gc', '--grace-period=-1'])).code, 125);
  const cp = await same(['cp', 'web:/etc/hostname', '-']);
  assert.equal(cp.code, 0);
  assert.ok(cp.stdout.length >= 512, 'a tar stream');
  // a usage error is found before the hand-over, by the same code in both bundles
  assert.equal((await same(['cp', 'web:/etc/hostname'])).code, 1);
});

test('bin/berth: through a symlink and from another directory, without NODE_EXTRA_CA_CERTS', async (t) => {
  const root = path.resolve(path.dirname(BERTH_CLI), '../../..');
  if (realpathSync(path.join(root, 'dist')) !== realpathSync(path.resolve(path.dirname(BERTH_CLI), '../..'))) {
    t.skip('bin/berth runs dist/, and this tree was built elsewhere');
    return;
  }
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-bin-'));
  try {
    await fsp.symlink(path.join(root, 'bin/berth'), path.join(dir, 'berth'));
    // Node warns on stderr when the file is missing: bin/berth leaves the variable out, so no warning
    const env = { ...process.env, DOCKER_HOST: d.host, BERTH_HOST: d.host, NODE_EXTRA_CA_CERTS: path.join(dir, 'missing.pem') };
    const viaLink = await runCmd(path.join(dir, 'berth'), ['ps', '--format', '{{.Names}}'], { env });
    assert.deepEqual(viaLink, { code: 0, stdout: 'web\n', stderr: '' });
    const direct = await runCmd(process.execPath, [BERTH_CLI, 'ps', '--format', '{{.Names}}'], { env });
    assert.equal(direct.stdout, 'web\n');
    assert.match(direct.stderr, /extra certs/i, 'node itself reads NODE_EXTRA_CA_CERTS');
    // `compose` first goes straight to its own bundle; after a global option, through the hand-over
    const direct2 = await runCmd(path.join(root, 'bin/berth'), ['compose', 'version', '--short'], { env });
    assert.equal(direct2.code, 0, direct2.stderr);
    assert.equal(direct2.stderr, '');
    const handedOver = await runCmd(path.join(root, 'bin/berth'), ['-H', d.host, 'compose', 'version', '--short'], { env });
    assert.deepEqual(handedOver, direct2);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
