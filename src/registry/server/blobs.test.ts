import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pushBlob, request, sha256, startRegistry, type Reply } from './testclient.js';

type Errors = { errors: { code: string; message: string }[] };
const code = (r: Reply) => r.json<Errors>().errors[0].code;
const blobFile = (root: string, digest: string) => path.join(root, 'blobs', 'sha256', digest.slice(7));
const exists = (p: string) => fs.stat(p).then(() => true, () => false);

/** The path part of an upload Location, with extra query parameters. */
function at(location: string | undefined, query: Record<string, string> = {}): string {
  assert.ok(location, 'Location header');
  const u = new URL(location, 'http://x');
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.pathname + u.search;
}

describe('registry server: base and blobs', () => {
  it('answers /v2/ with {} and the API version header on every response', async (t) => {
    const { base } = await startRegistry(t);
    const r = await request(base, 'GET', '/v2/');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), {});
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
    const missing = await request(base, 'GET', '/v2/a/blobs/' + sha256('nope'));
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['docker-distribution-api-version'], 'registry/2.0');
    const wrongMethod = await request(base, 'POST', '/v2/a/tags/list');
    assert.equal(wrongMethod.status, 405);
    assert.equal(code(wrongMethod), 'UNSUPPORTED');
    assert.equal((await request(base, 'GET', '/other')).status, 404);
  });

  it('works as a request handler inside another HTTP server', async (t) => {
    const reg = await startRegistry(t);
    const host = http.createServer((req, res) => {
      if (req.url?.startsWith('/v2')) reg.server.handler(req, res);
      else res.end('host app');
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => host.close(() => r())));
    const base = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    const digest = await pushBlob(base, 'mounted', 'through the host server');
    assert.equal((await request(base, 'GET', `/v2/mounted/blobs/${digest}`)).body.toString(), 'through the host server');
    assert.equal((await request(base, 'GET', '/')).body.toString(), 'host app');
  });

  it('serves a blob with digest, length and byte ranges', async (t) => {
    const { base } = await startRegistry(t);
    const data = Buffer.from('0123456789abcdef');
    const digest = await pushBlob(base, 'lib/app', data);

    const get = await request(base, 'GET', `/v2/lib/app/blobs/${digest}`);
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, data);
    assert.equal(get.headers['docker-content-digest'], digest);
    assert.equal(get.headers['content-length'], '16');
    assert.equal(get.headers['accept-ranges'], 'bytes');

    const head = await request(base, 'HEAD', `/v2/lib/app/blobs/${digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '16');
    assert.equal(head.headers['docker-content-digest'], digest);
    assert.equal(head.body.length, 0);

    const part = await request(base, 'GET', `/v2/lib/app/blobs/${digest}`, { headers: { Range: 'bytes=2-5' } });
    assert.equal(part.status, 206);
    assert.equal(part.body.toString(), '2345');
    assert.equal(part.headers['content-range'], 'bytes 2-5/16');
    const tail = await request(base, 'GET', `/v2/lib/app/blobs/${digest}`, { headers: { Range: 'bytes=-3' } });
    assert.equal(tail.status, 206);
    assert.equal(tail.body.toString(), 'def');
    const open = await request(base, 'GET', `/v2/lib/app/blobs/${digest}`, { headers: { Range: 'bytes=14-' } });
    assert.equal(open.body.toString(), 'ef');
    const beyond = await request(base, 'GET', `/v2/lib/app/blobs/${digest}`, { headers: { Range: 'bytes=16-20' } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['content-range'], 'bytes */16');
  });

  it('keeps repositories apart and answers unknown or malformed digests', async (t) => {
    const { base } = await startRegistry(t);
    const digest = await pushBlob(base, 'team/a', 'only in a');
    const other = await request(base, 'GET', `/v2/team/b/blobs/${digest}`);
    assert.equal(other.status, 404);
    assert.equal(code(other), 'BLOB_UNKNOWN');
    const bad = await request(base, 'GET', '/v2/team/a/blobs/sha256:xyz');
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 'DIGEST_INVALID');
    const sha512 = await request(base, 'HEAD', `/v2/team/a/blobs/sha512:${'a'.repeat(128)}`);
    assert.equal(sha512.status, 400);
  });

  it('deletes a blob from one repository only', async (t) => {
    const { base, root } = await startRegistry(t);
    const digest = await pushBlob(base, 'x', 'shared bytes');
    await pushBlob(base, 'y', 'shared bytes');
    const del = await request(base, 'DELETE', `/v2/x/blobs/${digest}`);
    assert.equal(del.status, 202);
    assert.equal((await request(base, 'HEAD', `/v2/x/blobs/${digest}`)).status, 404);
    assert.equal((await request(base, 'HEAD', `/v2/y/blobs/${digest}`)).status, 200);
    const again = await request(base, 'DELETE', `/v2/x/blobs/${digest}`);
    assert.equal(again.status, 404);
    assert.equal(code(again), 'BLOB_UNKNOWN');
    assert.equal(await exists(blobFile(root, digest)), true, 'bytes stay until gc');
  });

  it('mounts a blob from another repository, or starts an upload when it cannot', async (t) => {
    const { base } = await startRegistry(t);
    const digest = await pushBlob(base, 'src/repo', 'mount me');
    const mounted = await request(base, 'POST', `/v2/dst/repo/blobs/uploads/?mount=${digest}&from=src/repo`);
    assert.equal(mounted.status, 201);
    assert.equal(mounted.headers.location, `/v2/dst/repo/blobs/${digest}`);
    assert.equal(mounted.headers['docker-content-digest'], digest);
    assert.equal((await request(base, 'GET', `/v2/dst/repo/blobs/${digest}`)).body.toString(), 'mount me');

    // the blob is in the store, but `from` does not hold it: no mount, an upload session instead
    const notThere = await request(base, 'POST', `/v2/third/blobs/uploads/?mount=${digest}&from=elsewhere`);
    assert.equal(notThere.status, 202);
    assert.match(notThere.headers.location ?? '', /^\/v2\/third\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal((await request(base, 'HEAD', `/v2/third/blobs/${digest}`)).status, 404);
    const unknown = await request(base, 'POST', `/v2/third/blobs/uploads/?mount=${sha256('never pushed')}&from=src/repo`);
    assert.equal(unknown.status, 202);
  });
});

describe('registry server: uploads', () => {
  it('pushes a blob in a single POST and refuses a wrong digest without storing anything', async (t) => {
    const { base, root } = await startRegistry(t);
    const data = 'monolithic';
    const ok = await request(base, 'POST', `/v2/mono/blobs/uploads/?digest=${sha256(data)}`, { body: data });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.location, `/v2/mono/blobs/${sha256(data)}`);
    assert.equal((await request(base, 'GET', `/v2/mono/blobs/${sha256(data)}`)).body.toString(), data);

    const wrong = await request(base, 'POST', `/v2/mono/blobs/uploads/?digest=${sha256('something else')}`, { body: 'tampered' });
    assert.equal(wrong.status, 400);
    assert.equal(code(wrong), 'DIGEST_INVALID');
    assert.equal(await exists(blobFile(root, sha256('tampered'))), false);
    assert.equal(await exists(blobFile(root, sha256('something else'))), false);
    assert.deepEqual(await fs.readdir(path.join(root, 'uploads')), []);
  });

  it('uploads in chunks with Content-Range, refuses out-of-order chunks with 416, and finishes with a last chunk', async (t) => {
    const { base } = await startRegistry(t);
    const data = randomBytes(3000);
    const start = await request(base, 'POST', '/v2/chunky/blobs/uploads/', { headers: { 'Content-Length': 0 } });
    assert.equal(start.status, 202);
    assert.equal(start.headers.range, '0-0');
    const uuid = start.headers['docker-upload-uuid'];
    assert.match(String(uuid), /^[0-9a-f-]{36}$/);
    assert.equal(start.headers.location, `/v2/chunky/blobs/uploads/${uuid}`);

    const c1 = await request(base, 'PATCH', at(start.headers.location), {
      body: data.subarray(0, 1000),
      headers: { 'Content-Range': '0-999', 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(c1.status, 202);
    assert.equal(c1.headers.range, '0-999');
    assert.equal(c1.headers['docker-upload-uuid'], uuid);

    const skip = await request(base, 'PATCH', at(c1.headers.location), { body: data.subarray(1500, 2000), headers: { 'Content-Range': '1500-1999' } });
    assert.equal(skip.status, 416);
    assert.equal(skip.headers.range, '0-999');
    assert.equal(skip.headers.location, `/v2/chunky/blobs/uploads/${uuid}`);
    const repeat = await request(base, 'PATCH', at(c1.headers.location), { body: data.subarray(0, 1000), headers: { 'Content-Range': '0-999' } });
    assert.equal(repeat.status, 416);
    const liar = await request(base, 'PATCH', at(c1.headers.location), { body: data.subarray(1000, 1010), headers: { 'Content-Range': '1000-1999' } });
    assert.equal(liar.status, 416, 'Content-Range longer than the body');

    const status = await request(base, 'GET', at(c1.headers.location));
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-999');
    assert.equal(status.headers['docker-upload-uuid'], uuid);

    const c2 = await request(base, 'PATCH', at(status.headers.location), { body: data.subarray(1000, 2000), headers: { 'Content-Range': '1000-1999' } });
    assert.equal(c2.status, 202);
    assert.equal(c2.headers.range, '0-1999');

    const done = await request(base, 'PUT', at(c2.headers.location, { digest: sha256(data) }), {
      body: data.subarray(2000),
      headers: { 'Content-Range': '2000-2999' },
    });
    assert.equal(done.status, 201);
    assert.equal(done.headers.location, `/v2/chunky/blobs/${sha256(data)}`);
    assert.equal(done.headers['docker-content-digest'], sha256(data));
    assert.deepEqual((await request(base, 'GET', `/v2/chunky/blobs/${sha256(data)}`)).body, data);
    assert.equal((await request(base, 'GET', at(c2.headers.location))).status, 404, 'the session is gone');
  });

  it('takes a streamed PATCH without Content-Range and a closing PUT without body', async (t) => {
    const { base } = await startRegistry(t);
    const parts = [randomBytes(70_000), randomBytes(5), randomBytes(200_000)];
    const all = Buffer.concat(parts);
    const start = await request(base, 'POST', '/v2/stream/blobs/uploads/');
    const patch = await request(base, 'PATCH', at(start.headers.location), { body: Readable.from(parts) });
    assert.equal(patch.status, 202);
    assert.equal(patch.headers.range, `0-${all.length - 1}`);
    const put = await request(base, 'PUT', at(patch.headers.location, { digest: sha256(all) }));
    assert.equal(put.status, 201);
    assert.deepEqual((await request(base, 'GET', `/v2/stream/blobs/${sha256(all)}`)).body, all);
  });

  it('refuses a closing PUT whose digest does not match: nothing stored, the session gone', async (t) => {
    const { base, root } = await startRegistry(t);
    const start = await request(base, 'POST', '/v2/mismatch/blobs/uploads/');
    await request(base, 'PATCH', at(start.headers.location), { body: 'actual bytes' });
    const noDigest = await request(base, 'PUT', at(start.headers.location));
    assert.equal(noDigest.status, 400);
    assert.equal(code(noDigest), 'DIGEST_INVALID');
    assert.equal((await request(base, 'GET', at(start.headers.location))).status, 204, 'still there after a missing digest');
    const put = await request(base, 'PUT', at(start.headers.location, { digest: sha256('claimed bytes') }));
    assert.equal(put.status, 400);
    assert.equal(code(put), 'DIGEST_INVALID');
    assert.equal(await exists(blobFile(root, sha256('actual bytes'))), false);
    assert.equal(await exists(blobFile(root, sha256('claimed bytes'))), false);
    const gone = await request(base, 'GET', at(start.headers.location));
    assert.equal(gone.status, 404);
    assert.equal(code(gone), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('cancels uploads and keeps sessions to their repository', async (t) => {
    const { base, root } = await startRegistry(t);
    const start = await request(base, 'POST', '/v2/cancel/me/blobs/uploads/');
    const uuid = String(start.headers['docker-upload-uuid']);
    const foreign = await request(base, 'GET', `/v2/someone/else/blobs/uploads/${uuid}`);
    assert.equal(foreign.status, 404);
    assert.equal(code(foreign), 'BLOB_UPLOAD_UNKNOWN');
    const traversal = await request(base, 'GET', '/v2/cancel/me/blobs/uploads/..%2F..%2Frepositories');
    assert.equal(traversal.status, 404);
    const del = await request(base, 'DELETE', at(start.headers.location));
    assert.equal(del.status, 204);
    assert.equal((await request(base, 'PATCH', at(start.headers.location), { body: 'late' })).status, 404);
    assert.equal((await request(base, 'DELETE', at(start.headers.location))).status, 404);
    assert.deepEqual(await fs.readdir(path.join(root, 'uploads')), []);
  });

  it('resumes an upload after a restart, hashing the data again at the end', async (t) => {
    const reg = await startRegistry(t);
    const data = randomBytes(64 * 1024);
    const start = await request(reg.base, 'POST', '/v2/resume/blobs/uploads/');
    await request(reg.base, 'PATCH', at(start.headers.location), { body: data.subarray(0, 40_000), headers: { 'Content-Range': '0-39999' } });
    await reg.restart();
    const status = await request(reg.base, 'GET', at(start.headers.location));
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, '0-39999');
    const rest = await request(reg.base, 'PATCH', at(status.headers.location), { body: data.subarray(40_000), headers: { 'Content-Range': `40000-${data.length - 1}` } });
    assert.equal(rest.status, 202);
    const put = await request(reg.base, 'PUT', at(rest.headers.location, { digest: sha256(data) }));
    assert.equal(put.status, 201);
    assert.deepEqual((await request(reg.base, 'GET', `/v2/resume/blobs/${sha256(data)}`)).body, data);
  });

  it('survives a server killed mid-upload: no blob appears, the upload resumes from the bytes on disk', async (t) => {
    const reg = await startRegistry(t);
    const uploads = path.join(reg.root, 'uploads');
    const data = randomBytes(4 << 20);
    const start = await request(reg.base, 'POST', '/v2/crash/blobs/uploads/');
    const uuid = String(start.headers['docker-upload-uuid']);
    await reg.server.close();

    // a second server process on the same root, killed with SIGKILL while a PATCH streams in
    const indexJs = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.js');
    const script = `const { RegistryServer } = await import(${JSON.stringify(indexJs)});
      const s = await RegistryServer.open({ root: ${JSON.stringify(reg.root)} });
      const { port } = await s.listen('127.0.0.1:0');
      process.stdout.write(port + '\\n');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => child.kill('SIGKILL'));
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim()));
      child.once('exit', () => reject(new Error('registry child exited')));
    });
    const childBase = `http://127.0.0.1:${port}`;
    const body = new Readable({ read() {} });
    const patch = request(childBase, 'PATCH', `/v2/crash/blobs/uploads/${uuid}`, { body }).catch((e: Error) => e);
    body.push(data.subarray(0, 1 << 20));
    const dataFile = path.join(uploads, uuid, 'data');
    for (let i = 0; i < 200 && (await fs.stat(dataFile)).size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok((await patch) instanceof Error, 'the PATCH failed with the server');

    const landed = (await fs.stat(dataFile)).size;
    assert.ok(landed > 0 && landed <= 1 << 20, `${landed} bytes landed`);
    assert.deepEqual(await fs.readdir(path.join(reg.root, 'blobs', 'sha256')), [], 'no blob, complete or partial');

    await reg.restart();
    const status = await request(reg.base, 'GET', `/v2/crash/blobs/uploads/${uuid}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, `0-${landed - 1}`);
    const rest = await request(reg.base, 'PATCH', at(status.headers.location), {
      body: data.subarray(landed),
      headers: { 'Content-Range': `${landed}-${data.length - 1}` },
    });
    assert.equal(rest.status, 202);
    const put = await request(reg.base, 'PUT', at(rest.headers.location, { digest: sha256(data) }));
    assert.equal(put.status, 201);
    const got = await request(reg.base, 'GET', `/v2/crash/blobs/${sha256(data)}`);
    assert.equal(sha256(got.body), sha256(data));
  });

  it('removes upload sessions left idle too long', async (t) => {
    const reg = await startRegistry(t);
    const stale = await request(reg.base, 'POST', '/v2/idle/blobs/uploads/');
    const fresh = await request(reg.base, 'POST', '/v2/idle/blobs/uploads/');
    const dir = path.join(reg.root, 'uploads', String(stale.headers['docker-upload-uuid']));
    const old = new Date(Date.now() - 48 * 3600_000);
    for (const f of ['data', 'meta.json']) await fs.utimes(path.join(dir, f), old, old);
    const removed = await reg.server.registry.purgeStaleUploads();
    assert.deepEqual(removed, [stale.headers['docker-upload-uuid']]);
    assert.equal((await request(reg.base, 'GET', at(stale.headers.location))).status, 404);
    assert.equal((await request(reg.base, 'GET', at(fresh.headers.location))).status, 204);
  });

  it('streams a 200 MB blob in and out without buffering it', async (t) => {
    const { base } = await startRegistry(t);
    const chunk = randomBytes(1 << 20);
    const count = 200;
    const hash = createHash('sha256');
    const chunks = function* () {
      for (let i = 0; i < count; i++) {
        const c = Buffer.from(chunk);
        c.writeUInt32BE(i, 0);
        yield c;
      }
    };
    for (const c of chunks()) hash.update(c);
    const digest = `sha256:${hash.digest('hex')}`;
    const rssBefore = process.memoryUsage().rss;

    let t0 = Date.now();
    const put = await request(base, 'POST', `/v2/big/blobs/uploads/?digest=${digest}`, {
      body: Readable.from(chunks()),
      headers: { 'Content-Length': count << 20 },
    });
    assert.equal(put.status, 201);
    const putMs = Date.now() - t0;

    t0 = Date.now();
    const got = createHash('sha256');
    let size = 0;
    await new Promise<void>((resolve, reject) => {
      import('node:http').then(({ default: http }) => {
        http.get(`${base}/v2/big/blobs/${digest}`, (res) => {
          res.on('data', (c: Buffer) => {
            got.update(c);
            size += c.length;
          });
          res.on('end', resolve);
          res.on('error', reject);
        }).on('error', reject);
      }, reject);
    });
    const getMs = Date.now() - t0;
    assert.equal(size, count << 20);
    assert.equal(`sha256:${got.digest('hex')}`, digest);
    const grown = (process.memoryUsage().rss - rssBefore) / (1 << 20);
    t.diagnostic(`200 MiB: PUT ${putMs} ms, GET ${getMs} ms, rss grew ${grown.toFixed(0)} MiB`);
    assert.ok(grown < 150, `rss grew ${grown.toFixed(0)} MiB: the blob was buffered`);
  });
});
