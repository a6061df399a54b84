import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { Readable } from 'node:stream';
import { fakeDaemon } from '../client/fakedaemon.js';
import { Transport } from '../client/transport.js';
import { buildImage, buildQuery } from './build.js';

test('buildQuery encodes the build section as the docker CLI does', () => {
  const q = buildQuery({ tag: 'p-web', build: { context: '/c', dockerfile: 'Dockerfile.dev', args: { A: '1', B: null }, target: 'prod', labels: { l: 'v' }, network: 'host', cache_from: ['img:cache'] }, noCache: true });
  assert.deepEqual(q, {
    t: 'p-web', dockerfile: 'Dockerfile.dev', buildargs: '{"A":"1"}', target: 'prod', labels: '{"l":"v"}', networkmode: 'host',
    cachefrom: '["img:cache"]', nocache: '1', pull: undefined, shmsize: undefined, extrahosts: undefined,
  });
});

test('buildImage streams the context tar to POST /build and reads the JSON stream', async (t) => {
  const ctx = mkdtempSync(path.join(tmpdir(), 'compose-build-'));
  mkdirSync(path.join(ctx, 'src'));
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY src /src\n');
  writeFileSync(path.join(ctx, 'src', 'app.sh'), 'echo hi\n');
  writeFileSync(path.join(ctx, 'debug.log'), 'x');
  writeFileSync(path.join(ctx, '.dockerignore'), '*.log\n');
  let entries: string[] = [];
  let url = '';
  // the fake daemon's routes see the body as text: this test reads the tar from the raw request
  const d = await fakeDaemon('compose-build-', () => undefined);
  t.after(() => {
    d.close();
    rmSync(ctx, { recursive: true });
  });
  d.server.removeAllListeners('request');
  d.server.on('request', async (req, res) => {
    if (req.method !== 'POST') {
      // Docker has no kept contexts: the whole context is sent
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"message":"page not found"}');
      return;
    }
    url = req.url ?? '';
    const extract = tar.extract();
    const names: string[] = [];
    extract.on('entry', (h, stream, next) => {
      names.push(h.name);
      stream.resume();
      stream.on('end', next);
    });
    await new Promise<void>((resolve) => {
      extract.on('finish', resolve);
      Readable.from(req).pipe(extract);
    });
    entries = names;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"stream":"Step 1/2 : FROM busybox\\n"}\r\n{"aux":{"ID":"sha256:abc"}}\r\n{"stream":"Successfully built abc\\n"}\r\n');
  });
  const out: string[] = [];
  const id = await buildImage(new Transport(`unix://${d.sock}`), { tag: 'proj-web', build: { context: ctx, dockerfile: 'Dockerfile', args: { V: '2' } } }, (l) => out.push(l));
  assert.equal(id, 'sha256:abc');
  assert.deepEqual(out, ['Step 1/2 : FROM busybox\n', 'Successfully built abc\n']);
  const u = new URL(url, 'http://x');
  assert.equal(u.pathname, '/v1.47/build');
  assert.equal(u.searchParams.get('t'), 'proj-web');
  assert.equal(u.searchParams.get('buildargs'), '{"V":"2"}');
  assert.deepEqual(entries.sort(), ['.dockerignore', 'Dockerfile', 'src/', 'src/app.sh']);
});

test('a build error in the stream is an error naming the image', async (t) => {
  const ctx = mkdtempSync(path.join(tmpdir(), 'compose-build-'));
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM nothing\n');
  const d = await fakeDaemon('compose-build-', (_req, _send, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"errorDetail":{"message":"pull access denied for nothing"},"error":"pull access denied for nothing"}\r\n');
  });
  t.after(() => {
    d.close();
    rmSync(ctx, { recursive: true });
  });
  await assert.rejects(buildImage(new Transport(`unix://${d.sock}`), { tag: 'p-x', build: { context: ctx } }, () => undefined), /failed to build p-x: pull access denied for nothing/);
});
