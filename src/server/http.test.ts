/**
 * The HTTP layer over a real server on a unix socket: bodies past the limit get 413 and no reset,
 * deep JSON gets 400 before anything recursive sees it, malformed requests get a message, a handler's
 * unexpected exception gets a 500 with its message and one log line, and the server keeps serving.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiServer, qTimestamp, Router, MAX_BODY } from './http.js';
import { jsonDepth, MAX_DEPTH } from './body.js';

const dir = mkdtempSync(path.join(tmpdir(), 'berth-http-'));
const sock = path.join(dir, 'api.sock');
const logged: string[] = [];
const router = new Router();
router.add('GET', '/_ping', (ctx) => ctx.send(200, 'OK'));
router.add('POST', '/echo', async (ctx) => {
  const body = await ctx.json();
  // what the container store does with a record
  ctx.send(200, { size: JSON.stringify(body ?? null).length });
});
router.add('GET', '/boom', () => { (undefined as unknown as { x: () => void }).x(); });
router.add('POST', '/boom', async (ctx) => { await new Promise((r) => setTimeout(r, 10)); throw new TypeError(`broke while reading ${ctx.req.headers['content-length']} bytes`); });
router.add('GET', '/logs', (ctx) => ctx.send(200, { since: qTimestamp(ctx.query, 'since') ?? null }));
router.add('GET', '/items/{id}', (ctx) => ctx.send(200, { id: ctx.params[0] }));
router.add('POST', '/up', async (ctx) => {
  const body = await ctx.json();
  const s = ctx.hijack('application/vnd.docker.raw-stream');
  s.write(`body=${JSON.stringify(body)};`);
  s.on('data', (d: Buffer) => { if (d.includes('END')) s.end(`stream=${d.toString()}`); else s.write(`stream=${d.toString()};`); });
  s.resume();
});
const server = createApiServer(router, { log: (m) => logged.push(m), serverHeader: 'Berth/test' });
await new Promise<void>((resolve) => server.listen(sock, resolve));
after(() => {
  server.close();
  server.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer { status: number; body: string; json(): { message?: string } & Record<string, unknown> }

function call(method: string, url: string, body?: string | Buffer, agent?: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path: url, agent, headers: body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends raw bytes, gives what came back before the server closed. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(sock);
    let out = '';
    c.on('data', (d: Buffer) => { out += d.toString(); });
    // the server may close before it read everything (a request it refused): what it said counts
    c.on('error', () => undefined);
    c.on('close', () => resolve(out));
    c.end(bytes);
  });
}

test('a body past the limit is answered 413 with a message, never a reset; the connection stays usable', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const big = `{"Image":"busybox","Junk":"${'x'.repeat(50 << 20)}"}`;
    const r = await call('POST', '/echo', big, agent);
    assert.equal(r.status, 413);
    assert.equal(r.json().message, `request body is too large: the limit is ${MAX_BODY} bytes`);
    const again = await call('POST', '/echo', '{"a":1}', agent);
    assert.deepEqual([again.status, again.json()], [200, { size: 7 }]);
  } finally {
    agent.destroy();
  }
  // just under the limit is read and parsed
  const ok = await call('POST', '/echo', `"${'y'.repeat(MAX_BODY - 10)}"`);
  assert.equal(ok.status, 200);
});

test('an idle keep-alive connection stays open past Node\'s default 5 s, as dockerd keeps it', async () => {
  const c = net.connect(sock);
  let out = '';
  c.on('data', (d: Buffer) => { out += d.toString(); });
  let closed = false;
  c.on('close', () => { closed = true; });
  c.write('GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 6000));
  assert.equal(closed, false, 'the server closed an idle keep-alive connection');
  c.write('GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await new Promise((r) => c.on('close', r));
  assert.equal(out.match(/HTTP\/1\.1 200/g)?.length, 2, out);
});

test('deeply nested JSON is refused with 400 before it is parsed or stringified', async () => {
  const arrays = `{"Image":"busybox","Unknown":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  const a = await call('POST', '/echo', arrays);
  assert.deepEqual([a.status, a.json().message], [400, `invalid JSON: nested deeper than ${MAX_DEPTH} levels`]);
  const objects = `{"HostConfig":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`;
  const o = await call('POST', '/echo', objects);
  assert.equal(o.status, 400);
  // brackets inside strings do not count; MAX_DEPTH itself is fine
  const fine = `${'['.repeat(MAX_DEPTH - 1)}"[[[[{{{{\\"]"${']'.repeat(MAX_DEPTH - 1)}`;
  assert.equal((await call('POST', '/echo', fine)).status, 200);
  assert.equal((await call('POST', '/echo', '{"a": [1, 2')).status, 400);
  assert.equal(logged.length, 0, logged.join('\n'));
});

test('jsonDepth counts nesting outside strings', () => {
  assert.equal(jsonDepth(Buffer.from('{"a":[1,{"b":"[[["}]}')), 3);
  assert.equal(jsonDepth(Buffer.from('"\\\\"')), 0);
  assert.equal(jsonDepth(Buffer.from('["\\"[",[]]')), 2);
  assert.equal(jsonDepth(Buffer.from('[[[[[[[[')), 8);
  assert.equal(jsonDepth(Buffer.from('[[[[[[[['), 3), 4);
});

test('an unexpected exception in a handler is a 500 with its message and one log line; serving goes on', async () => {
  logged.length = 0;
  const r = await call('GET', '/boom');
  assert.equal(r.status, 500);
  assert.match(r.json().message ?? '', /Cannot read properties of undefined/);
  const p = await call('POST', '/boom', '{"unread": "body"}');
  assert.deepEqual([p.status, p.json().message], [500, 'broke while reading 18 bytes']);
  assert.equal(logged.length, 2);
  for (const l of logged) assert.ok(!l.includes('\n'), `one line: ${l}`);
  assert.match(logged[0], /^GET \/boom: Cannot read properties of undefined .*\(TypeError at /);
  assert.equal((await call('GET', '/_ping')).body, 'OK');
});

test('bad query values name the parameter and the value', async () => {
  const r = await call('GET', '/logs?since=abc');
  assert.deepEqual([r.status, r.json().message], [400, 'invalid value for since: "abc": strconv.ParseInt: parsing "abc": invalid syntax']);
  assert.deepEqual((await call('GET', '/logs?since=1700000000.1234567891')).json(), { since: '1700000000.123456789' });
  const p = await call('GET', '/items/%zz');
  assert.deepEqual([p.status, p.json().message], [400, 'invalid escape in the request path: %zz']);
});

test('thousands of query parameters are served; headers past 1 MiB get 431 with a message', async () => {
  const many = Array.from({ length: 5000 }, (_, i) => `p${i}=${i}`).join('&');
  assert.equal((await call('GET', `/logs?${many}`)).status, 200);
  const huge = await raw(`GET /logs?x=${'a'.repeat(1100 << 10)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431 /);
  assert.match(huge, /"message":"request header fields too large/);
});

test('an unknown method and a malformed request get a 400 with a message', async () => {
  const brew = await raw('BREW /_ping HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match(brew, /^HTTP\/1\.1 400 /);
  assert.match(brew, /\{"message":"unsupported HTTP method \\"BREW\\""\}$/);
  const junk = await raw('GET /_ping HTTP/1.1\r\nContent-Length: nope\r\n\r\n');
  assert.match(junk, /^HTTP\/1\.1 400 [^]*"message":"malformed HTTP request/);
  assert.equal((await call('GET', '/_ping')).body, 'OK');
});

test('an upgrade request: its body is read to Content-Length, what follows is the stream (in one write)', async () => {
  const body = '{"Detach":false}';
  const out = await raw(`POST /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${body.length}\r\n\r\n${body}after the body END`);
  assert.match(out, /^HTTP\/1\.1 101 UPGRADED\r\n/);
  assert.ok(out.endsWith('body={"Detach":false};stream=after the body END'), out);
  const big = await raw(`POST /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${MAX_BODY + 10}\r\n\r\n{"a":1}`, );
  assert.match(big, /^HTTP\/1\.1 400 |^$|^HTTP\/1\.1 413 /);
});
