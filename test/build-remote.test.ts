/**
 * POST /build with `remote` against a real berthd: a tar context (gzipped) and a Dockerfile alone served
 * over http on 127.0.0.1, a git repository served on 127.0.0.1 (git's dumb http protocol, so the shallow
 * clone falls back to a whole one) with a `#ref:subdir` fragment, and URLs that cannot be fetched.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { busyboxDaemon } from './harness.js';

const t = busyboxDaemon();
let server: http.Server;
let base = '';
let root = '';

before(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-remote-'));
  // a tar context
  const ctx = path.join(root, 'ctx');
  await fsp.mkdir(ctx);
  await fsp.writeFile(path.join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n');
  await fsp.writeFile(path.join(ctx, 'hello.txt'), 'from a remote tar\n');
  execFileSync('tar', ['-czf', path.join(root, 'ctx.tar.gz'), '-C', ctx, '.']);
  await fsp.writeFile(path.join(root, 'Dockerfile.txt'), 'FROM busybox\nLABEL from=remote-dockerfile\n');
  // a git repository with the context in a subdirectory, on a branch
  const work = path.join(root, 'work');
  await fsp.mkdir(path.join(work, 'app'), { recursive: true });
  await fsp.writeFile(path.join(work, 'app/Dockerfile'), 'FROM busybox\nCOPY msg /msg\n');
  await fsp.writeFile(path.join(work, 'app/msg'), 'from git\n');
  const g = (args: string[], cwd = work) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd, stdio: 'pipe' });
  g(['init', '-q', '-b', 'main']);
  g(['add', '.']);
  g(['commit', '-q', '-m', 'one']);
  g(['checkout', '-q', '-b', 'feature']);
  await fsp.writeFile(path.join(work, 'app/msg'), 'from the feature branch\n');
  g(['commit', '-q', '-am', 'two']);
  g(['clone', '-q', '--bare', work, path.join(root, 'repo.git')], root);
  g(['update-server-info'], path.join(root, 'repo.git'));
  server = http.createServer((req, res) => {
    const p = path.join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    try {
      const body = readFileSync(p);
      res.writeHead(200).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.close();
  await fsp.rm(root, { recursive: true, force: true });
});

async function remoteBuild(query: string): Promise<{ status: number; text: string }> {
  const socketPath = t.d.host.replace(/^unix:\/\//, '');
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: `/v1.41/build?${query}`, method: 'POST' }, (res) => {
      let s = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { s += d; });
      // an error before the stream is one JSON message: its text unescaped
      res.on('end', () => resolve({ status: res.statusCode!, text: res.statusCode === 200 ? s : (JSON.parse(s) as { message: string }).message }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('remote: a gzipped tar over http is the context', async () => {
  const r = await remoteBuild(`t=remote-tar&remote=${encodeURIComponent(`${base}/ctx.tar.gz`)}`);
  assert.equal(r.status, 200);
  assert.match(r.text, /Successfully tagged remote-tar:latest/);
  assert.equal(await t.d.dockerOk(['run', '--rm', 'remote-tar']), 'from a remote tar');
  await t.d.docker(['rmi', 'remote-tar']);
});

test('remote: a Dockerfile alone over http', async () => {
  const r = await remoteBuild(`t=remote-df&remote=${encodeURIComponent(`${base}/Dockerfile.txt`)}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(await t.d.dockerOk(['image', 'inspect', '-f', '{{index .Config.Labels "from"}}', 'remote-df']), 'remote-dockerfile');
  await t.d.docker(['rmi', 'remote-df']);
});

test('remote: a git repository, its branch and subdirectory', async () => {
  const r = await remoteBuild(`t=remote-git&remote=${encodeURIComponent(`${base}/repo.git#feature:app`)}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(await t.d.dockerOk(['run', '--rm', 'remote-git', 'cat', '/msg']), 'from the feature branch');
  const main = await remoteBuild(`t=remote-git&remote=${encodeURIComponent(`${base}/repo.git#main:app`)}`);
  assert.equal(main.status, 200, main.text);
  assert.equal(await t.d.dockerOk(['run', '--rm', 'remote-git', 'cat', '/msg']), 'from git');
  await t.d.docker(['rmi', 'remote-git']);
});

test('remote: what cannot be fetched is a clear error and builds nothing', async () => {
  const before = await t.d.dockerOk(['images', '-aq']);
  const gone = await remoteBuild(`remote=${encodeURIComponent('http://127.0.0.1:9/ctx.tar')}`);
  assert.equal(gone.status, 400);
  assert.match(gone.text, /error downloading remote context http:\/\/127\.0\.0\.1:9\/ctx\.tar: Get "http:\/\/127\.0\.0\.1:9\/ctx\.tar": connect ECONNREFUSED/);
  const missing = await remoteBuild(`remote=${encodeURIComponent(`${base}/nothing.tar`)}`);
  assert.equal(missing.status, 400);
  assert.match(missing.text, /404/);
  const noRepo = await remoteBuild(`remote=${encodeURIComponent(`${base}/nothing.git`)}`);
  assert.equal(noRepo.status, 400);
  assert.match(noRepo.text, /unable to prepare context: unable to 'git clone'/);
  const noDir = await remoteBuild(`remote=${encodeURIComponent(`${base}/repo.git#main:nope`)}`);
  assert.equal(noDir.status, 400);
  assert.match(noDir.text, /subdirectory "nope" not found/);
  const climb = await remoteBuild(`remote=${encodeURIComponent(`${base}/repo.git#main:../x`)}`);
  assert.equal(climb.status, 400);
  assert.match(climb.text, /leaves the repository/);
  assert.equal(await t.d.dockerOk(['images', '-aq']), before);
});
