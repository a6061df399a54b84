/**
 * Berth driven from Python through Debian's python3-docker (docker-py 5.0.3), as real users drive it:
 * the pytest files in test/python run against a real berthd (BERTH_TEST_HOST), one node test per file.
 * Also the daemon.json log driver settings, which need daemons of their own, and the websocket attach
 * (docker-py's websocket client cannot reach a unix socket, so a small client here speaks it).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync, existsSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { TestDaemon, runCmd } from './harness.js';
import { RegistryServer } from '../src/registry/server/index.js';
import net from 'node:net';
import { encodeFrame, FrameParser, OP, type Frame } from '../src/server/ws.js';

/** test/python of the source tree (dist/test/.. is the compiled tree, whose parent is the repository) */
const PY_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'test', 'python');
const PYTHON = '/usr/bin/python3';

let d: TestDaemon;
/** Berth's registry server on 127.0.0.1, for the registry lookups (GET /distribution/{name}/json) */
let registry: RegistryServer | undefined;
let registryAddr = '';
let registryRoot = '';

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
  registryRoot = await fsp.mkdtemp('/tmp/bt-pyreg-');
  registry = await RegistryServer.open({ root: registryRoot });
  registryAddr = `127.0.0.1:${(await registry.listen('127.0.0.1:0')).port}`;
});

after(async () => {
  await registry?.close();
  if (registryRoot) await fsp.rm(registryRoot, { recursive: true, force: true });
  await d?.stop();
});

test('python3-docker is docker-py 5.0.3', async () => {
  const r = await runCmd(PYTHON, ['-c', 'import docker; print(docker.__version__)']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '5.0.3');
});

for (const file of existsSync(PY_DIR) ? readdirSync(PY_DIR).filter((f) => /^test_.*\.py$/.test(f)).sort() : []) {
  test(`docker-py: ${file}`, async () => {
    const r = await runCmd(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--tb=short', '-W', 'ignore::DeprecationWarning', '--rootdir', PY_DIR, path.join(PY_DIR, file)], {
      env: { ...process.env, BERTH_TEST_HOST: d.host, BERTH_TEST_REGISTRY: registryAddr, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: PY_DIR },
      timeout: 300_000,
    });
    assert.equal(r.code, 0, `pytest ${file} failed:\n${r.stdout}\n${r.stderr}`);
  });
}

test('daemon.json log-driver and log-opts are the default of new containers', async () => {
  const ld = await TestDaemon.create({ 'log-driver': 'local', 'log-opts': { 'max-size': '2m' } });
  try {
    await ld.importBusybox();
    assert.equal(await ld.dockerOk(['info', '--format', '{{.LoggingDriver}}']), 'local');
    const id = await ld.dockerOk(['create', '--network', 'none', 'busybox', 'echo', 'local-log']);
    assert.equal(await ld.dockerOk(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id]), '{"Type":"local","Config":{"max-size":"2m"}}');
    await ld.dockerOk(['start', '-a', id]);
    assert.equal(await ld.dockerOk(['logs', id]), 'local-log');
    // another driver of the container's own does not inherit the daemon's options
    const other = await ld.dockerOk(['create', '--network', 'none', '--log-driver', 'json-file', 'busybox', 'true']);
    assert.equal(await ld.dockerOk(['inspect', '-f', '{{json .HostConfig.LogConfig}}', other]), '{"Type":"json-file","Config":{}}');
  } finally {
    await ld.stop();
  }
});

test('log-driver none: docker logs errors as on Docker, the output is not kept', async () => {
  const nd = await TestDaemon.create({ 'log-driver': 'none' });
  try {
    await nd.importBusybox();
    const id = await nd.dockerOk(['run', '-d', '--network', 'none', 'busybox', 'echo', 'nothing-kept']);
    await nd.dockerOk(['wait', id]);
    const r = await nd.docker(['logs', id]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error response from daemon: configured logging driver does not support reading/);
    const logPath = await nd.dockerOk(['inspect', '-f', '{{.LogPath}}', id]);
    assert.equal(existsSync(logPath), false, 'no log file for the none driver');
    // docker run still shows the output: it attaches to the container, it does not read logs
    assert.equal(await nd.dockerOk(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'attached']), 'attached');
  } finally {
    await nd.stop();
  }
});

test('an unknown daemon.json log-driver stops berthd at start, with dockerd\'s text', async () => {
  await assert.rejects(TestDaemon.create({ 'log-driver': 'nosuchdriver' }), /failed to set log opts: logger: no log driver named 'nosuchdriver' is registered/);
});

/** A websocket session over the daemon's unix socket: the handshake, then frames both ways. */
async function wsConnect(socket: string, urlPath: string): Promise<{ frames: Frame[]; send(op: number, data: Buffer): void; closed: Promise<void>; head: string }> {
  const sock = net.connect(socket);
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  sock.write(`GET ${urlPath} HTTP/1.1\r\nHost: berth\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const frames: Frame[] = [];
  const parser = new FrameParser();
  let head = '';
  let pending = Buffer.alloc(0);
  const headDone = new Promise<void>((resolve) => {
    sock.on('data', (c: Buffer) => {
      if (!head) {
        pending = Buffer.concat([pending, c]);
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = pending.subarray(0, end).toString();
        frames.push(...parser.push(pending.subarray(end + 4)));
        resolve();
        return;
      }
      frames.push(...parser.push(c));
    });
  });
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  await Promise.race([headDone, closed]);
  // client frames are masked (with a zero mask here, which RFC 6455 allows)
  const send = (op: number, data: Buffer) => {
    const f = encodeFrame(op, data);
    const hl = f.length - data.length;
    sock.write(Buffer.concat([f.subarray(0, 1), Buffer.from([f[1] | 0x80]), f.subarray(2, hl), Buffer.alloc(4), data]));
  };
  return { frames, send, closed, head };
}

test('attach over a websocket: output as binary frames, input to stdin, logs replayed', async () => {
  const id = await d.dockerOk(['run', '-d', '-i', '--network', 'none', 'busybox', 'sh', '-c', 'echo started; exec cat']);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const ws = await wsConnect(d.socket, `/v1.47/containers/${id}/attach/ws?logs=1&stream=1&stdin=1&stdout=1&stderr=1`);
    assert.match(ws.head, /^HTTP\/1.1 101 /);
    assert.match(ws.head, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
    ws.send(OP.binary, Buffer.from('through the websocket\n'));
    const deadline = Date.now() + 10_000;
    const text = () => Buffer.concat(ws.frames.filter((f) => f.opcode === OP.binary).map((f) => f.payload)).toString();
    while (!text().includes('through the websocket') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(text(), 'started\nthrough the websocket\n');
    ws.send(OP.close, Buffer.from([3, 232]));
    await ws.closed;
    assert.ok(ws.frames.some((f) => f.opcode === OP.close));
    // stream=0: the log, then the end; an API version before 1.28 gets text frames
    const old = await wsConnect(d.socket, `/v1.27/containers/${id}/attach/ws?logs=1&stream=0&stdout=1`);
    await old.closed;
    assert.equal(old.frames.at(-1)?.opcode, OP.close);
    assert.ok(old.frames.slice(0, -1).every((f) => f.opcode === OP.text));
    assert.equal(Buffer.concat(old.frames.slice(0, -1).map((f) => f.payload)).toString(), 'started\nthrough the websocket\n');
    // a plain GET is no websocket: refused
    const plain = await d.request('GET', `/containers/${id}/attach/ws`);
    assert.equal(plain.status, 400);
  } finally {
    await d.docker(['rm', '-f', id]);
  }
});
