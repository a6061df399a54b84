import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { Htpasswd, parseHtpasswd } from './auth.js';
import { request, sha256, startRegistry } from './testclient.js';

const run = promisify(execFile);

async function tempDir(t: TestContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-regsrv-auth-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An htpasswd line as `htpasswd -B` writes it ($2y$). */
const entry = (user: string, password: string, cost = 4) => `${user}:${bcrypt.hashSync(password, cost).replace(/^\$2[ab]\$/, '$2y$')}`;

describe('registry server: htpasswd auth', () => {
  it('asks for Basic credentials on every endpoint, /v2/ included, and accepts the right ones', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'htpasswd');
    await fs.writeFile(file, `# users\n${entry('alice', 'wonderland')}\nbob:{SHA}not-bcrypt\n\n`);
    const { base } = await startRegistry(t, { htpasswd: file });

    for (const auth of [undefined, 'alice:wrong', 'mallory:wonderland', 'bob:anything']) {
      const r = await request(base, 'GET', '/v2/', { auth });
      assert.equal(r.status, 401, String(auth));
      assert.equal(r.headers['www-authenticate'], 'Basic realm="Berth Registry"');
      assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.equal(r.json<{ errors: { code: string }[] }>().errors[0].code, 'UNAUTHORIZED');
    }
    assert.equal((await request(base, 'GET', '/v2/_catalog')).status, 401);
    assert.equal((await request(base, 'POST', '/v2/x/blobs/uploads/')).status, 401);
    assert.equal((await request(base, 'GET', '/v2/x/tags/list', { headers: { Authorization: 'Bearer abc' } })).status, 401);

    const ok = await request(base, 'GET', '/v2/', { auth: 'alice:wonderland' });
    assert.equal(ok.status, 200);
    const start = await request(base, 'POST', '/v2/x/blobs/uploads/', { auth: 'alice:wonderland' });
    assert.equal(start.status, 202);
    const put = await request(base, 'PUT', `${start.headers.location}?digest=sha256:${'0'.repeat(64)}`, { auth: 'alice:wrong', body: 'data' });
    assert.equal(put.status, 401, 'each request is checked');
  });

  it('caches a successful verification and re-reads the file when it changes', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'htpasswd');
    await fs.writeFile(file, entry('carol', 'first', 11));
    const h = await Htpasswd.load(file);
    const header = `Basic ${Buffer.from('carol:first').toString('base64')}`;
    let t0 = performance.now();
    assert.equal(await h.verify(header), 'carol');
    const slow = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < 5; i++) assert.equal(await h.verify(header), 'carol');
    const fast = (performance.now() - t0) / 5;
    t.diagnostic(`bcrypt verify ${slow.toFixed(1)} ms, cached ${fast.toFixed(2)} ms`);
    assert.ok(fast < slow / 5, `cached verification (${fast} ms) is not much faster than bcrypt (${slow} ms)`);

    await fs.writeFile(file, entry('carol', 'second'));
    const later = new Date(Date.now() + 5000);
    await fs.utimes(file, later, later);
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal(await h.verify(header), undefined, 'the old password stops working');
    assert.equal(await h.verify(`Basic ${Buffer.from('carol:second').toString('base64')}`), 'carol');
  });

  it('parses htpasswd files, keeping only bcrypt entries', () => {
    const logs: string[] = [];
    const users = parseHtpasswd('a:$2y$05$abcdefghijklmnopqrstuu\n# c\nb:$apr1$x$y\nnocolon\nc:$2b$10$zz\n', (m) => logs.push(m));
    assert.deepEqual([...users.keys()], ['a', 'c']);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /entry for b is not bcrypt/);
  });
});

/** A self-signed certificate for 127.0.0.1 (openssl), as cert.pem and key.pem in `dir`. */
async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ]);
  return { cert, key };
}

describe('registry server: TLS', () => {
  it('serves HTTPS with the given certificate and key', async (t) => {
    const dir = await tempDir(t);
    const { cert, key } = await selfSignedCert(dir);
    const ca = await fs.readFile(cert, 'utf8');
    const reg = await startRegistry(t, { tls: { cert, key } }, 'https');
    assert.match(reg.base, /^https:/);
    assert.equal(reg.server.protocol, 'https');
    const r = await request(reg.base, 'GET', '/v2/', { ca });
    assert.equal(r.status, 200);
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
    await assert.rejects(request(reg.base, 'GET', '/v2/'), /self[- ]signed|certificate/i);
    await assert.rejects(request(reg.base.replace('https:', 'http:'), 'GET', '/v2/'));

    // a push over TLS, with the test client trusting the certificate
    const data = 'over tls';
    const start = await request(reg.base, 'POST', '/v2/secure/blobs/uploads/', { ca });
    assert.equal(start.status, 202);
    const put = await request(reg.base, 'PUT', `${start.headers.location}?digest=${sha256(data)}`, { ca, body: data });
    assert.equal(put.status, 201);
  });

  it('combines TLS with auth: credentials travel encrypted', async (t) => {
    const dir = await tempDir(t);
    const { cert, key } = await selfSignedCert(dir);
    const htpasswd = path.join(dir, 'htpasswd');
    await fs.writeFile(htpasswd, entry('dave', 'pw'));
    const reg = await startRegistry(t, { tls: { cert: await fs.readFile(cert, 'utf8'), key: await fs.readFile(key, 'utf8') }, htpasswd }, 'https');
    const ca = await fs.readFile(cert, 'utf8');
    assert.equal((await request(reg.base, 'GET', '/v2/', { ca })).status, 401);
    assert.equal((await request(reg.base, 'GET', '/v2/', { ca, auth: 'dave:pw' })).status, 200);
  });
});
