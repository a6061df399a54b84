/**
 * Hostile input against a real berthd (issue 17). First the cases the fault run found, then a fuzzer:
 * random and mutated requests at every operation of the Engine API description (wrong types, huge and
 * deep values, bad query strings, truncated bodies, junk on hijacked streams) for a bounded time. It
 * asserts: no 5xx but the documented non-500 ones (503 of the swarm stubs) and the plugin refusals, no failure logged by the
 * daemon, `_ping` still answers, no file named by the fuzzer appears outside the data root, and the
 * daemon's RSS stays bounded.
 *
 * The seed is fixed by default and printed: BERTH_FUZZ_SEED=<n> reproduces a run, BERTH_FUZZ_SECONDS
 * changes its length (default 60).
 *
 * What the fuzzer may not do (host-global effects a test must not have): it never starts a container
 * it created (path ids come from the fixtures or are junk), never sends bind mounts, devices or host
 * namespaces, and gives networks no options or IPAM (their subnets come from the test pool).
 */
import { NO_PLUGINS } from '../src/server/routes/swarm.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { TestDaemon, runCmd } from './harness.js';
import { readOperations, type SpecOperation, type SpecParam } from './apispec.js';
import { makeTar } from '../src/snapshots/testutil.js';

const SEED = Number(process.env.BERTH_FUZZ_SEED ?? 17);
const SECONDS = Number(process.env.BERTH_FUZZ_SECONDS ?? 60);
/** every name the fuzzer makes up carries this, so a file it caused anywhere can be found */
const MARK = 'bfz';

let d: TestDaemon;
const fx = { running: '', created: '', execId: '', volume: `${MARK}vol`, network: `${MARK}net`, image: 'busybox' };

before(async () => {
  d = await TestDaemon.create();
  await d.importBusybox();
  fx.running = await d.dockerOk(['run', '-d', '--name', `${MARK}run`, '--network', 'none', 'busybox', 'sh', '-c', 'while :; do echo tick; sleep 1; done']);
  fx.created = await d.dockerOk(['create', '--name', `${MARK}created`, '--network', 'none', 'busybox', 'true']);
  await d.dockerOk(['volume', 'create', fx.volume]);
  await d.dockerOk(['network', 'create', fx.network]);
  const ex = await d.request('POST', `/containers/${fx.running}/exec`, { Cmd: ['true'] });
  fx.execId = ex.json().Id as string;
});

after(async () => {
  if (d) {
    for (const n of (await d.docker(['network', 'ls', '-q', '--filter', `name=${MARK}`])).stdout.split('\n').filter(Boolean)) {
      await d.docker(['network', 'rm', n]);
    }
    await d.stop();
  }
});

interface Answer { status: number; body: string; headers: http.IncomingHttpHeaders }

/** One request; a response still streaming after `ms` is cut (a stream endpoint, not a failure): status kept. */
function send(method: string, url: string, opts: { body?: Buffer | string; headers?: Record<string, string>; ms?: number } = {}): Promise<Answer | 'timeout' | 'reset' | 'refused'> {
  return new Promise((resolve) => {
    const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
    const req = http.request({
      socketPath: d.socket, method, path: url,
      headers: { ...(body ? { 'Content-Length': String(body.length), 'Content-Type': 'application/json' } : {}), ...(opts.headers ?? {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => { if (size < 1 << 16) chunks.push(c); size += c.length; });
      const done = () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1'), headers: res.headers }); };
      res.on('end', done);
      res.on('close', done);
    });
    const timer = setTimeout(() => { req.destroy(); resolve('timeout'); }, opts.ms ?? 3000);
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'refused' : 'timeout');
    });
    req.end(body);
  });
}

/** Raw bytes to the socket; what came back within `ms`. */
function raw(bytes: Buffer | string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(d.socket);
    let out = '';
    const timer = setTimeout(() => c.destroy(), ms);
    c.on('data', (b: Buffer) => { if (out.length < 1 << 16) out += b.toString('latin1'); });
    c.on('error', () => undefined);
    c.on('close', () => { clearTimeout(timer); resolve(out); });
    c.end(bytes);
  });
}

test('the cases of the fault run: big and deep bodies, bad query values, unknown methods', { timeout: 120_000 }, async () => {
  const big = await send('POST', '/containers/create', { body: `{"Image":"busybox","Labels":{"junk":"${'x'.repeat(50 << 20)}"}}`, ms: 60_000 });
  assert.ok(typeof big === 'object', `50 MB body: ${big}`);
  assert.equal(big.status, 413);
  assert.match(big.body, /"message":"request body is too large: the limit is 16777216 bytes"/);
  const arrays = await send('POST', '/containers/create', { body: `{"Image":"busybox","Unknown":${'['.repeat(100_000)}${']'.repeat(100_000)}}` });
  assert.ok(typeof arrays === 'object');
  assert.deepEqual([arrays.status, JSON.parse(arrays.body).message], [400, 'invalid JSON: nested deeper than 512 levels']);
  const objects = await send('POST', '/containers/create', { body: `{"Image":"busybox","HostConfig":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}` });
  assert.ok(typeof objects === 'object');
  assert.equal(objects.status, 400);
  const since = await send('GET', `/containers/${fx.running}/logs?stdout=1&since=abc`);
  assert.ok(typeof since === 'object');
  assert.equal(since.status, 400);
  assert.match(JSON.parse(since.body).message, /since.*"abc"/);
  const kill = await send('POST', `/containers/${fx.created}/kill?signal=99999`);
  assert.ok(typeof kill === 'object');
  assert.equal(kill.status, 400);
  assert.match(JSON.parse(kill.body).message, /99999/);
  const many = await send('GET', `/containers/json?${Array.from({ length: 5000 }, (_, i) => `p${i}=${i}`).join('&')}`);
  assert.ok(typeof many === 'object');
  assert.equal(many.status, 200);
  const brew = await raw('BREW /_ping HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match(brew, /^HTTP\/1\.1 400 [^]*"message":"unsupported HTTP method \\"BREW\\""/);
  assert.equal(d.log.match(/ERROR|TypeError|RangeError/g), null, d.log);
});

test('clients that go away in the middle of a tar stream (export, archive, save) leave the daemon serving', { timeout: 120_000 }, async () => {
  const urls = [`/containers/${fx.running}/export`, `/containers/${fx.running}/archive?path=/bin`, '/images/busybox/get', '/images/get?names=busybox'];
  for (let i = 0; i < 24; i++) {
    await new Promise<void>((resolve) => {
      const req = http.request({ socketPath: d.socket, path: urls[i % urls.length] }, (res) => {
        // go away after the first chunk (or at once, every other time)
        if (i % 2) req.destroy();
        else res.once('data', () => req.destroy());
        res.on('close', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(d.proc!.exitCode, null, d.log.slice(-3000));
  const ping = await send('GET', '/_ping');
  assert.ok(typeof ping === 'object' && ping.status === 200);
});

// ---- the fuzzer ----------------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number { return Math.floor(this.rnd() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.rnd() < p; }

  junkString(): string {
    return this.pick([
      '', ' ', 'x', `${MARK}x`, `/${MARK}`, `../../../${MARK}`, `/tmp/${MARK}/x`, '%', '%zz', '%00', '\u0000', '..', '/', '//',
      'é✓😀', `${MARK}`.repeat(2000), '-1', '0', '1', '9999999999999999999999', '1e309', 'NaN', 'true', 'null', '{}', '[]',
      '"', "'", '\\', '\r\n', 'SIGKILL', 'SIGTERM', 'KILL', 'HUP', '99999', '65', '-9', 'busybox', 'busybox:latest', 'sha256:', 'sha256:zz',
      `${MARK}:${MARK}`, 'a'.repeat(300), '{"a":[1', 'all', '10m', '2024-01-01T00:00:00Z', '1700000000.5',
    ]);
  }

  /** A query value for a parameter: often of its type, often not. */
  queryValue(p: SpecParam): string {
    if (this.chance(0.5)) return this.junkString();
    if (p.enum && this.chance(0.5)) return this.pick(p.enum);
    switch (p.type) {
      case 'boolean': return this.pick(['1', '0', 'true', 'false', 'True', 'yes', '']);
      case 'integer': return String(this.pick([0, 1, -1, 5, 2 ** 31, -(2 ** 53), 1e21, 0.5]));
      default: return p.name === 'filters' ? this.pick(['{}', '{"label":["a"]}', '{"status":["x"]}', '{"until":["1h"]}', '{"id":[1]}', '{"a":{"b":true}}', '[', '"x"']) : this.junkString();
    }
  }

  /** A JSON value: wrong types, huge and deep ones, within limits the daemon is meant to handle. */
  value(depth = 0): unknown {
    const k = this.int(depth > 3 ? 6 : 9);
    switch (k) {
      case 0: return this.junkString();
      case 1: return this.pick([0, -1, 1.5, 2 ** 63, -(2 ** 63), 1e308, 4294967296]);
      case 2: return this.chance(0.5);
      case 3: return null;
      case 4: return this.chance(0.1) ? 'y'.repeat(1 << 20) : this.junkString();
      case 5: return [];
      case 6: return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
      case 7: return this.object(depth + 1);
      default: return this.chance(0.05) ? JSON.parse(`${'['.repeat(400)}${']'.repeat(400)}`) : {};
    }
  }

  object(depth = 0): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (let i = this.int(5); i > 0; i--) o[this.pick(SAFE_KEYS)] = this.value(depth);
    return o;
  }
}

/** Keys of Engine API bodies the fuzzer fills; none of them reaches outside a container when created. */
const SAFE_KEYS = [
  'Image', 'Cmd', 'Entrypoint', 'Env', 'Labels', 'WorkingDir', 'User', 'Tty', 'OpenStdin', 'StdinOnce', 'AttachStdin',
  'ExposedPorts', 'StopSignal', 'StopTimeout', 'Healthcheck', 'Hostname', 'Domainname', 'Name', 'Driver', 'Internal',
  'Attachable', 'Container', 'EndpointConfig', 'Memory', 'MemorySwap', 'CpuShares', 'NanoCpus', 'PidsLimit',
  'RestartPolicy', 'AutoRemove', 'LogConfig', 'PortBindings', 'Detach', 'DetachKeys', 'Privileged', 'ConsoleSize',
  'Force', 'Unknown', 'HostConfig', 'Config', 'Spec', 'Data', 'Version', 'ListenAddr', 'a', '',
];

/** Fields a create body may never carry here (host paths, host namespaces, devices, extra privileges). */
const HOST_FIELDS = ['Binds', 'Mounts', 'Volumes', 'VolumesFrom', 'Devices', 'DeviceCgroupRules', 'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode', 'NetworkMode', 'CapAdd', 'SecurityOpt', 'Sysctls', 'Privileged', 'Options', 'IPAM', 'DriverOpts', 'DeviceRequests', 'Tmpfs', 'Links', 'Cgroup', 'CgroupParent', 'Runtime', 'Init', 'VolumeDriver'];

function scrub(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!HOST_FIELDS.includes(k)) o[k] = scrub(x);
    return o;
  }
  return v;
}

/** Operations the fuzzer leaves out, and why. */
const SKIP: Record<string, string> = {
  'POST /containers/{id}/start': 'starts only fixtures: done by the fixture upkeep, never with a fuzzed id',
  'POST /containers/{id}/restart': 'same as start',
  'POST /networks/{id}/connect': 'would start wiring a fixture into random networks; covered by network tests',
  'POST /plugins/pull': 'plugins reach registries', 'POST /plugins/{name}/upgrade': 'plugins reach registries',
  'POST /plugins/{name}/push': 'plugins reach registries', 'POST /images/{name}/push': 'pushes reach registries',
  'POST /swarm/join': 'reaches remote managers', 'GET /containers/{id}/attach/ws': 'websocket upgrade',
};

function pathValue(g: Gen, name: string, tmpl: string): string {
  const fixtures = tmpl.startsWith('/containers') ? [fx.running, fx.created, `${MARK}run`]
    : tmpl.startsWith('/exec') ? [fx.execId] : tmpl.startsWith('/volumes') ? [fx.volume]
      : tmpl.startsWith('/networks') ? [fx.network] : tmpl.startsWith('/images') || tmpl.startsWith('/distribution') ? [`${MARK}img`, 'busybox'] : [];
  if (fixtures.length && g.chance(0.6)) return encodeURIComponent(g.pick(fixtures));
  const j = g.junkString();
  // a junk id never names a fixture or a container the fuzzer made (those are named bfz*)
  // raw: bad escapes (`%zz`) and dots reach the server as they are; what HTTP cannot carry is escaped
  return g.chance(0.2) ? j.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c)) || 'x' : encodeURIComponent(j) || 'x';
}

async function tarBody(g: Gen): Promise<Buffer> {
  const tar = await makeTar([{ name: `${MARK}f`, content: 'fuzz\n' }, { name: 'd/', type: 'directory' }, { name: 'd/l', type: 'symlink', linkname: `/tmp/${MARK}` }]);
  switch (g.int(5)) {
    case 0: return tar;
    case 1: return tar.subarray(0, g.int(tar.length));
    case 2: return Buffer.from([0x1f, 0x8b, 8, 0, ...Array.from({ length: 64 }, () => g.int(256))]);
    case 3: { const b = Buffer.from(tar); for (let i = 0; i < 20; i++) b[g.int(b.length)] = g.int(256); return b; }
    default: return Buffer.from(Array.from({ length: g.int(2048) }, () => g.int(256)));
  }
}

function jsonBody(g: Gen, op: SpecOperation): string {
  const base = scrub(g.chance(0.7) ? g.object() : g.value()) as Record<string, unknown>;
  if (op.path === '/containers/create' && base && typeof base === 'object' && !Array.isArray(base) && g.chance(0.6)) base.Image = 'busybox';
  const text = JSON.stringify(base) ?? 'null';
  switch (g.int(8)) {
    case 0: return text.slice(0, g.int(text.length + 1)); // truncated
    case 1: return g.junkString();
    case 2: return '';
    default: return text;
  }
}

/**
 * Operations whose 5xx another change fixes: they are fuzzed, but their 5xx are reported instead of
 * failed until that change lands. None now (docker load of a broken archive answers 200 with the error
 * in the stream).
 */
const FIXED_ELSEWHERE: Record<string, string> = {};

const PLUGIN_FETCH = new Set(['POST /plugins/pull', 'POST /plugins/create', 'GET /plugins/privileges']);

const TAR_BODIES = new Set(['PUT /containers/{id}/archive', 'POST /images/load', 'POST /images/create', 'POST /build']);
const HIJACK = new Set(['POST /containers/{id}/attach', 'POST /exec/{id}/start', 'POST /session']);

async function fuzzOne(g: Gen, op: SpecOperation): Promise<{ url: string; result: Answer | 'timeout' | 'reset' | 'refused' | string }> {
  let url = op.path.replace(/\{(\w+)\}/g, (_m, n: string) => pathValue(g, n, op.path));
  const q = new URLSearchParams();
  for (const p of op.params) if (p.in === 'query' && g.chance(0.5)) q.append(p.name, g.queryValue(p));
  // the create of a container or image gets a name the fuzzer can be sure never to start
  if (q.has('name') && op.path === '/containers/create') q.set('name', `${MARK}${g.int(1e6)}`);
  if (op.path === '/images/create') {
    // a pull only goes to loopback (the harness's proxy); an import is fed a tar
    if (q.has('fromImage')) q.set('fromImage', `127.0.0.1:9/${MARK}`);
    if (g.chance(0.7)) { q.delete('fromImage'); q.set('fromSrc', '-'); }
  }
  if (op.path === '/auth') url = '/auth';
  let qs = q.toString();
  if (g.chance(0.05)) qs += `&${Array.from({ length: 3000 }, (_, i) => `x${i}=${i}`).join('&')}`;
  if (g.chance(0.05)) qs += '&bad=%zz&%=%';
  if (qs) url += `?${qs}`;
  const version = g.pick(['', '', '', '/v1.47', '/v1.24', '/v1.12', '/v9.99', '/vx']);
  const full = version + url;
  const key = `${op.method} ${op.path}`;
  const headers: Record<string, string> = {};
  if (g.chance(0.2)) headers['X-Registry-Auth'] = g.pick(['', 'e30=', '!!!', Buffer.from('{"username":1}').toString('base64')]);
  if (HIJACK.has(key) && g.chance(0.7)) {
    const body = op.path === '/exec/{id}/start' ? JSON.stringify(scrub(g.object())) : '';
    const junk = Buffer.from(Array.from({ length: g.int(4096) }, () => g.int(256)));
    const head = `${op.method} ${full} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const out = await raw(Buffer.concat([Buffer.from(head + body), junk]), 1500);
    return { url: full, result: out };
  }
  let body: Buffer | string | undefined;
  if (TAR_BODIES.has(key) && !(op.path === '/images/create' && !q.has('fromSrc'))) {
    body = await tarBody(g);
    headers['Content-Type'] = g.pick(['application/x-tar', 'application/json', 'text/plain']);
  } else if (op.params.some((p) => p.in === 'body') || g.chance(0.1)) {
    body = jsonBody(g, op);
  }
  const result = await send(op.method, full, { body, headers, ms: 2000 });
  return { url: full, result };
}

function rssMb(pid: number): number {
  const text = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  const m = /^VmRSS:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) / 1024 : 0;
}

/** Files named by the fuzzer outside the data and exec roots: in the places its paths could point to. */
async function markedFilesOutside(): Promise<string[]> {
  const found: string[] = [];
  for (const dir of ['/', '/tmp', '/etc', '/root', '/run', '/var/lib', '/var/tmp', '/dev', d.dir]) {
    const r = await runCmd('find', [dir, '-xdev', '-maxdepth', dir === d.dir ? '2' : '3', '-name', `*${MARK}*`,
      '-not', '-path', `${d.dataRoot}/*`, '-not', '-path', `${d.execRoot}/*`], { timeout: 60_000 });
    found.push(...r.stdout.split('\n').filter(Boolean));
  }
  return found;
}

test(`fuzz every operation of the Engine API description (seed ${SEED}, ${SECONDS} s)`, { timeout: (SECONDS + 240) * 1000 }, async () => {
  console.log(`fuzz seed ${SEED} (BERTH_FUZZ_SEED=${SEED} reproduces this run)`);
  const ops = readOperations().filter((o) => !SKIP[`${o.method} ${o.path}`]);
  assert.ok(ops.length > 90, `${ops.length} operations read from the spec`);
  const before = await markedFilesOutside();
  const pid = d.proc!.pid!;
  const rss0 = rssMb(pid);
  let rssPeak = rss0;
  const g = new Gen(mulberry32(SEED));
  const failures: string[] = [];
  const elsewhere = new Set<string>();
  const counts = new Map<string, number>();
  const deadline = Date.now() + SECONDS * 1000;
  let n = 0;
  // one fuzzer stream per worker, each from the seeded generator in turn: runs repeat with the seed
  const worker = async (w: number) => {
    const wg = new Gen(mulberry32(SEED * 1000 + w));
    while (Date.now() < deadline && failures.length < 20) {
      const i = n++;
      const op = wg.pick(ops);
      const { url, result } = await fuzzOne(wg, op);
      const status = typeof result === 'object' ? result.status : typeof result === 'string' && /^HTTP\/1\.1 (\d{3})/.exec(result) ? Number(/^HTTP\/1\.1 (\d{3})/.exec(result)![1]) : 0;
      counts.set(String(status || result), (counts.get(String(status || result)) ?? 0) + 1);
      const documented5xx = op.responses.filter((c) => c >= 500 && c !== 500);
      // a pull from the harness's closed proxy port fails by design: the registry is unreachable
      const unreachable = typeof result === 'object' && /ECONNREFUSED 127\.0\.0\.1:9\b/.test(result.body);
      // Berth has no managed plugins: fetching or creating one is refused with 503 (docs/api-coverage.md)
      const refused = status === 503 && PLUGIN_FETCH.has(`${op.method} ${op.path}`) && typeof result === 'object' && result.body.includes(NO_PLUGINS);
      if (status >= 500 && !documented5xx.includes(status) && !unreachable && !refused) {
        const text = typeof result === 'object' ? result.body : String(result);
        const line = `#${i} ${op.method} ${url.slice(0, 300)} -> ${status} ${text.slice(0, 300)}`;
        if (FIXED_ELSEWHERE[`${op.method} ${op.path}`]) elsewhere.add(`${op.method} ${op.path}: ${status} ${text.slice(0, 120)}`);
        else failures.push(line);
      }
      if (result === 'reset' && !HIJACK.has(`${op.method} ${op.path}`)) failures.push(`#${i} ${op.method} ${url.slice(0, 300)} -> connection reset`);
      if (result === 'refused') failures.push(`#${i} ${op.method} ${url.slice(0, 300)} -> connection refused`);
      if (d.proc!.exitCode !== null || d.proc!.signalCode !== null || result === 'refused') {
        failures.push(`#${i} ${op.method} ${url.slice(0, 300)}: the daemon died: ${d.log.slice(-4000)}`);
        break;
      }
      if (i % 50 === 0) {
        rssPeak = Math.max(rssPeak, rssMb(pid));
        // keep the running fixture running (a fuzzed kill may have stopped it)
        if (w === 0) await send('POST', `/containers/${fx.running}/start`);
      }
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
  rssPeak = Math.max(rssPeak, rssMb(pid));
  console.log(`fuzz: ${n} requests, statuses ${JSON.stringify([...counts].sort())}, RSS ${rss0.toFixed(0)} -> peak ${rssPeak.toFixed(0)} MB`);
  if (elsewhere.size) console.log(`fuzz: 5xx left to another change of issue 17:\n  ${[...elsewhere].join('\n  ')}`);
  assert.deepEqual(failures, [], `seed ${SEED}`);
  assert.equal(d.proc!.exitCode, null, `the daemon died: ${d.log.slice(-3000)}`);
  const ping = await send('GET', '/_ping');
  assert.ok(typeof ping === 'object' && ping.status === 200 && ping.body === 'OK', `_ping after the fuzz: ${JSON.stringify(ping)}`);
  const logged = d.log.split('\n').filter((l) => /ERROR|FATAL|Uncaught|Unhandled|TypeError|RangeError|ReferenceError|SyntaxError|MaxListeners/.test(l))
    .filter((l) => !Object.keys(FIXED_ELSEWHERE).some((k) => l.includes(`ERROR ${k.split(' ')[0]} `) && l.includes(k.split(' ')[1].replace(/\{\w+\}.*/, ''))));
  assert.deepEqual(logged, [], `seed ${SEED}`);
  assert.deepEqual((await markedFilesOutside()).filter((f) => !before.includes(f)), [], 'files outside the data root');
  assert.ok(rssPeak < rss0 + 300, `RSS ${rss0.toFixed(0)} -> ${rssPeak.toFixed(0)} MB`);
  assert.ok(existsSync(d.socket) && readdirSync(path.dirname(d.socket)).length > 0);
});
