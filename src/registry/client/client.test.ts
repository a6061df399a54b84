import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeAuthHeader, parseChallenges } from './auth.js';
import { endpointsFor, isInsecure, parseRegistryConfig } from './endpoints.js';
import { MT, layerCompression, parseManifest, parsePlatform, selectManifest, type ImageIndex } from './media.js';
import { renderBar } from '../progress.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { proxyFor, request } from './http.js';

test('WWW-Authenticate challenges: bearer with quoted params, basic, several in one header', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  assert.deepEqual(parseChallenges(['Basic realm="r"', 'Bearer realm="x", error="invalid_token"']), [
    { scheme: 'basic', params: { realm: 'r' } },
    { scheme: 'bearer', params: { realm: 'x', error: 'invalid_token' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="a\\"b", Bearer realm=x'), [{ scheme: 'basic', params: { realm: 'a"b' } }, { scheme: 'bearer', params: { realm: 'x' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('X-Registry-Auth: base64url JSON, auth field split, empty or junk is no credentials', () => {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  assert.deepEqual(decodeAuthHeader(enc({ username: 'u', password: 'p', serveraddress: 'r:5000' })), { username: 'u', password: 'p', serveraddress: 'r:5000' });
  assert.deepEqual(decodeAuthHeader(enc({ auth: Buffer.from('a:b:c').toString('base64') })), { auth: Buffer.from('a:b:c').toString('base64'), username: 'a', password: 'b:c' });
  assert.equal(decodeAuthHeader('e30='), undefined); // {}
  assert.equal(decodeAuthHeader('%%%'), undefined);
  assert.equal(decodeAuthHeader(enc({ username: 5 })), undefined);
});

test('registry config and endpoints: mirrors for Hub pulls only, http fallback for loopback and insecure registries', async () => {
  const cfg = parseRegistryConfig(['https://mirror.example/'], ['myreg:5000', '10.1.0.0/16']);
  assert.deepEqual(cfg, { mirrors: ['https://mirror.example'], insecure: ['myreg:5000', '10.1.0.0/16'] });
  assert.deepEqual((await endpointsFor('docker.io', cfg, 'pull')).map((e) => e.url), ['https://mirror.example', 'https://registry-1.docker.io']);
  assert.deepEqual((await endpointsFor('docker.io', cfg, 'push')).map((e) => e.url), ['https://registry-1.docker.io']);
  assert.equal((await endpointsFor('myreg:5000', cfg, 'pull'))[0]!.httpFallback, true);
  assert.equal(await isInsecure('localhost:5000', cfg), true);
  assert.equal(await isInsecure('127.9.9.9:80', cfg), true);
  assert.equal(await isInsecure('10.1.2.3:5000', cfg), true);
  assert.equal(await isInsecure('10.2.0.1:5000', cfg), false);
  assert.equal(await isInsecure('myreg:5001', cfg), false);
  assert.throws(() => parseRegistryConfig(['ftp://m'], []), /unsupported scheme "ftp"/);
  assert.throws(() => parseRegistryConfig('x', []), /registry-mirrors must be a list of strings/);
});

test('manifests: schema 1 refused as Docker words it; media type from body or Content-Type; bad descriptors', () => {
  assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1}'), undefined), /schema 1 has been removed/);
  const m = { schemaVersion: 2, config: { mediaType: MT.ociConfig, digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] };
  assert.equal(parseManifest(Buffer.from(JSON.stringify(m)), `${MT.dockerManifest}; charset=utf-8`).mediaType, MT.dockerManifest);
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ ...m, layers: [{ digest: 'sha256:zz', size: 1 }] })), MT.ociManifest), /layers\[0\] has an invalid digest/);
  assert.throws(() => parseManifest(Buffer.from('nope'), MT.ociManifest), /not JSON/);
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'text/plain' })), undefined), /unsupported manifest media type/);
  assert.equal(layerCompression(MT.ociLayerZstd), 'zstd');
  assert.throws(() => layerCompression('application/x-bogus'), /unsupported layer media type/);
});

test('platforms: parsing, defaults and index selection with variants', () => {
  assert.deepEqual(parsePlatform(undefined, 'amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/arm64', 'amd64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('linux/aarch64', 'amd64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.throws(() => parsePlatform('linux//x', 'amd64'), /invalid platform/);
  const d = (n: string) => `sha256:${n.repeat(64)}`;
  const index: ImageIndex = {
    schemaVersion: 2, mediaType: MT.ociIndex, manifests: [
      { mediaType: MT.ociManifest, digest: d('1'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { mediaType: MT.ociManifest, digest: d('2'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: MT.ociManifest, digest: d('3'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
      { mediaType: MT.ociManifest, digest: d('4'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: MT.ociManifest, digest: d('5'), size: 1, platform: { os: 'windows', architecture: 'amd64' } },
    ],
  };
  assert.equal(selectManifest(index, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, d('2'));
  assert.equal(selectManifest(index, { os: 'linux', architecture: 'arm64' })?.digest, d('3'));
  assert.equal(selectManifest(index, { os: 'linux', architecture: 'amd64' })?.digest, d('4'));
  assert.equal(selectManifest(index, { os: 'linux', architecture: 's390x' }), undefined);
});

test('progress bar as Docker renders it', () => {
  assert.equal(renderBar(0, 0), '');
  assert.equal(renderBar(50, 100), `[${'='.repeat(25)}>${' '.repeat(25)}]      50B/100B`);
  assert.equal(renderBar(2_000_000, 4_000_000), `[${'='.repeat(25)}>${' '.repeat(25)}]      2MB/4MB`);
  assert.equal(renderBar(1500, 0), '   1.5kB');
});

test('proxies: loopback and NO_PROXY bypass; http goes to the proxy by absolute URL; https through CONNECT', async (t) => {
  const cfg = { http: 'http://127.0.0.1:3128', https: 'proxy.local:8080', noProxy: '.corp.example,10.0.0.0/8,reg.test:5000' };
  assert.equal(proxyFor(new URL('https://127.0.0.1:5000/v2/'), cfg), undefined);
  assert.equal(proxyFor(new URL('https://localhost/v2/'), cfg), undefined);
  assert.equal(proxyFor(new URL('https://a.corp.example/v2/'), cfg), undefined);
  assert.equal(proxyFor(new URL('https://10.2.3.4/v2/'), cfg), undefined);
  assert.equal(proxyFor(new URL('https://reg.test:5000/v2/'), cfg), undefined);
  assert.equal(proxyFor(new URL('https://reg.test:5001/v2/'), cfg)?.href, 'http://proxy.local:8080/');
  assert.equal(proxyFor(new URL('http://registry-1.docker.io/v2/'), cfg)?.href, 'http://127.0.0.1:3128/');
  assert.equal(proxyFor(new URL('http://x.example/'), { ...cfg, noProxy: '*' }), undefined);

  // a proxy on loopback: answers plain-http requests itself, refuses tunnels; names are never resolved here
  const seen: string[] = [];
  const proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"via":"proxy"}');
  });
  proxy.on('connect', (req, sock) => {
    seen.push(`CONNECT ${req.url}`);
    sock.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => proxy.close(() => r())));
  const p = { http: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, https: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` };
  const res = await request({ method: 'GET', url: 'http://registry.invalid:5000/v2/', proxy: p });
  assert.equal(await res.text(), '{"via":"proxy"}');
  await assert.rejects(request({ method: 'GET', url: 'https://registry.invalid/v2/', proxy: p }), /proxyconnect tcp: proxy 127\.0\.0\.1:\d+ refused the tunnel to registry\.invalid:443: 403/);
  assert.deepEqual(seen, ['GET http://registry.invalid:5000/v2/', 'CONNECT registry.invalid:443']);
});
