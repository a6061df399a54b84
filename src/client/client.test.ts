/** The client against a fake daemon on a unix socket: paths, queries, errors, streams and hijacking. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BerthClient } from './client.js';
import { ConnectionError, DaemonError, describeError } from './errors.js';
import { demuxTo, muxFrame, STDERR, STDOUT } from './stream.js';
import { resolveHost } from './host.js';
import { fakeDaemon } from './fakedaemon.js';


const fake = await fakeDaemon('berth-client-', ({ method, pathname, url }, send, res) => {
  switch (`${method} ${pathname}`) {
    case 'GET /_ping':
      res.end('OK');
      return;
    case 'POST /v1.47/containers/create':
      send(201, { Id: 'abc', Warnings: [] });
      return;
    case 'GET /v1.47/containers/nope/json':
      send(404, { message: 'No such container: nope' });
      return;
    case 'POST /v1.47/containers/abc/start':
      res.writeHead(304);
      res.end();
      return;
    case 'POST /v1.47/containers/abc/wait':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      setTimeout(() => res.end(JSON.stringify({ StatusCode: 3 })), 50);
      return;
    case 'GET /v1.47/containers/abc/logs':
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.end(Buffer.concat([muxFrame(STDOUT, 'out\n'), muxFrame(STDERR, 'err\n')]));
      return;
    case 'GET /v1.47/events':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{}},"time":1,"timeNano":1000000000}\n');
      res.end('{"Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{}},"time":2,"timeNano":2000000000}\n');
      return;
    case 'POST /v1.47/images/load':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"stream":"Loaded image: busybox:latest\\n"}\n');
      return;
    case 'POST /v1.47/images/create':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"sha256:1234"}\n');
      return;
    default:
      send(500, { message: `unexpected ${method} ${url}` });
  }
});
const { dir, sock, seen } = fake;

// attach: answer 101 and echo stdin back as stdout frames until the client half-closes
fake.server.on('upgrade', (req, socket) => {
  seen.push({ method: req.method ?? '', url: req.url ?? '', body: '' });
  socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  socket.write(muxFrame(STDERR, 'ready\n'));
  socket.on('data', (d: Buffer) => socket.write(muxFrame(STDOUT, d)));
  socket.on('end', () => socket.end());
});

after(() => fake.close());

const client = new BerthClient({ host: `unix://${sock}` });

test('resolveHost: -H, then BERTH_HOST, then DOCKER_HOST, then the default', () => {
  assert.equal(resolveHost('unix:///a', { BERTH_HOST: 'unix:///b' }), 'unix:///a');
  assert.equal(resolveHost(undefined, { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///b');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///c' }), 'unix:///c');
  assert.equal(resolveHost(undefined, {}), 'unix:///run/berth/berth.sock');
});

test('ping and create with name/platform query and JSON body', async () => {
  assert.equal(await client.ping(), 'OK');
  const res = await client.containers.create('web', { Image: 'busybox', Cmd: ['true'] }, 'linux/amd64');
  assert.equal(res.Id, 'abc');
  const req = seen.find((s) => s.url.startsWith('/v1.47/containers/create'));
  assert.equal(req?.url, '/v1.47/containers/create?name=web&platform=linux%2Famd64');
  assert.deepEqual(JSON.parse(req?.body ?? ''), { Image: 'busybox', Cmd: ['true'] });
});

test('errors keep docker message and map to kinds', async () => {
  await assert.rejects(client.containers.inspect('nope'), (err: unknown) => {
    assert.ok(err instanceof DaemonError);
    assert.equal(err.kind, 'NotFound');
    assert.equal(err.statusCode, 404);
    assert.equal(describeError(err), 'Error response from daemon: No such container: nope');
    return true;
  });
  await client.containers.start('abc'); // 304 is not an error
});

test('connection errors', async () => {
  const c = new BerthClient({ host: `unix://${dir}/missing.sock` });
  await assert.rejects(c.ping(), (err: unknown) => err instanceof ConnectionError && /Cannot connect to the berth daemon/.test(err.message));
});

test('beginWait resolves once registered, result later', async () => {
  const w = await client.containers.beginWait('abc', 'next-exit');
  assert.deepEqual(await w.result, { StatusCode: 3 });
  assert.ok(seen.some((s) => s.url === '/v1.47/containers/abc/wait?condition=next-exit'));
});

test('logs are demultiplexed', async () => {
  const logs = await client.containers.logs('abc', { tail: '10', timestamps: true });
  assert.equal(logs.tty, false);
  const frames = [];
  for await (const f of logs.frames()) frames.push([f.stream, f.payload.toString()]);
  assert.deepEqual(frames, [
    [STDOUT, 'out\n'],
    [STDERR, 'err\n'],
  ]);
  assert.ok(seen.some((s) => s.url === '/v1.47/containers/abc/logs?stdout=1&stderr=1&timestamps=1&tail=10'));
});

test('events stream', async () => {
  const ev = await client.events({ filters: { type: ['container'] } });
  const actions = [];
  for await (const e of ev) actions.push(e.Action);
  assert.deepEqual(actions, ['start', 'die']);
  assert.ok(seen.some((s) => s.url === `/v1.47/events?filters=${encodeURIComponent('{"type":["container"]}')}`));
});

test('image load and import yield progress messages', async () => {
  const msgs = [];
  for await (const m of await client.images.load(Buffer.from('tar'))) msgs.push(m);
  assert.deepEqual(msgs, [{ stream: 'Loaded image: busybox:latest\n' }]);
  const imp = [];
  for await (const m of await client.images.import(Buffer.from('tar'), { repo: 'busybox', tag: 'latest', changes: ['CMD ["sh"]', 'ENV A=1'] })) imp.push(m);
  assert.deepEqual(imp, [{ status: 'sha256:1234' }]);
  const req = seen.find((s) => s.url.startsWith('/v1.47/images/create'));
  assert.equal(req?.url, '/v1.47/images/create?fromSrc=-&repo=busybox&tag=latest&changes=CMD+%5B%22sh%22%5D&changes=ENV+A%3D1');
});

test('attach hijacks the connection: multiplexed duplex with half-close', async () => {
  const { socket, contentType } = await client.containers.attach('abc', { stdin: true, stdout: true, stderr: true });
  assert.equal(contentType, 'application/vnd.docker.multiplexed-stream');
  const out: string[] = [];
  const err: string[] = [];
  const sink = (arr: string[]) => ({ write: (d: Buffer | string, cb?: () => void) => (arr.push(d.toString()), cb?.(), true) }) as unknown as NodeJS.WritableStream;
  socket.write('ping\n');
  setTimeout(() => socket.end(), 30);
  await demuxTo(socket, { stdout: sink(out), stderr: sink(err) });
  assert.deepEqual(err, ['ready\n']);
  assert.equal(out.join(''), 'ping\n');
  assert.ok(seen.some((s) => s.url === '/v1.47/containers/abc/attach?stream=1&stdin=1&stdout=1&stderr=1'));
});
