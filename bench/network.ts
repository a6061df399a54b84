/**
 * Networking benchmark, run by hand as root after `npm run build`:
 *
 *   node dist/bench/network.js [--runs N] [--mb N] [--reps N] [--docker-host unix:///var/run/docker.sock]
 *
 * Prints figures, asserts nothing. Against a private berthd (test/harness.ts's TestDaemon):
 *  1. what networking adds to `docker run --rm busybox true`: p50/p95 over --runs runs (default 20) with
 *     `--network none`, the default bridge and a user-defined network, interleaved;
 *  2. container-to-container TCP throughput (--mb MB, default 512; MB = 2^20 bytes) on the default bridge
 *     and on the user network, with a same-netns loopback run as the tools' ceiling;
 *  3. host-to-container throughput through a published port from a Node client: 127.0.0.1 (DNAT +
 *     route_localnet), a host address that is not loopback (DNAT in the output hook; a veth this script
 *     makes, 10.212.250.1), the container's own address (routed, no NAT) and, with a second daemon with
 *     `"userland-proxy": true`, 127.0.0.1 through the proxy (reported as not measured when it does not answer);
 *  4. a summary table.
 * With --docker-host, the same container measurements (1-3, not the berth-only second daemon) are taken
 * from that Docker engine too and shown side by side. Its busybox image must be there already (this
 * script pulls nothing).
 *
 * Each throughput figure is the median of --reps transfers (default 5). Container to container, the client
 * is `nc <ip> 5001 -e dd if=/dev/zero bs=1M count=<mb>` (dd writes the socket itself: busybox nc's own
 * stdin-to-socket copy loop uses small buffers and caps well below the network; that variant, the
 * `dd | nc` pipe, is shown as one more row); the sink is `nc -l -p 5001 -e sh -c 'cat >/dev/null; ...'`
 * restarted by a shell loop, which stamps (busybox `ts %.s`, microseconds) the moment it has read the
 * last byte. Time = the sink's end stamp minus the client's start stamp (same host clock). Host to
 * container, a Node client writes 1 MiB buffers as fast as the socket takes them, ends, and the time runs
 * from 'connect' to 'close' (the sink closes after reading everything).
 *
 * Traffic stays on this machine: 127.0.0.0/8, the daemon's networks (10.213.0.0/16) and the veth made
 * here (10.212.250.0/24, inside the harness's guard range). Everything made is removed at the end, also
 * after an error, SIGINT or SIGTERM.
 */
import net from 'node:net';
import os from 'node:os';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { TestDaemon, runCmd, type ExecResult } from '../test/harness.js';
import { numOpt, opt, usage } from './args.js';

usage('node dist/bench/network.js [--runs N (20)] [--mb N (512)] [--reps N (5)] [--rounds N (1)] [--docker-host URL [--docker-netns NAME]]');
const RUNS = numOpt('--runs', 20);
const MB = numOpt('--mb', 512);
const REPS = numOpt('--reps', 5);
/** with a Docker engine: the engines are measured in turn this many times, and every figure pools its rounds (drift hits both alike) */
const ROUNDS = numOpt('--rounds', 1);
const DOCKER_HOST = opt('--docker-host');
/** the network namespace the Docker engine runs in (bench/private-docker.sh): its host side is measured from there */
const DOCKER_NETNS = opt('--docker-netns');

const PORT = 5001;
const VETH = 'btbench0';
const VETH_PEER = 'btbench1';
const VETH_ADDR = '10.212.250.1';
/** generous: a transfer slower than 20 MB/s counts as failed */
const XFER_TIMEOUT = 30_000 + MB * 50;

// ---------------------------------------------------------------------------------------------------
// cleanup that also runs on SIGINT/SIGTERM

interface Cleanup { what: string; fn: () => Promise<unknown>; done?: Promise<void> }
const cleanups: Cleanup[] = [];
const pending = new Set<Promise<unknown>>();
let interrupted = false;

function runOnce(c: Cleanup): Promise<void> {
  c.done ??= c.fn().then(() => undefined, (e) => console.error(`cleanup (${c.what}): ${(e as Error).message}`));
  return c.done;
}
/** Registers `fn` to run at exit; returns a function that runs it now (once). */
function onExit(what: string, fn: () => Promise<unknown>): () => Promise<void> {
  const c: Cleanup = { what, fn };
  cleanups.push(c);
  return () => runOnce(c);
}
/** Awaits a creation whose result needs undoing; a signal arriving meanwhile waits for it, then undoes it. */
function creating<T>(p: Promise<T>, what: string, undo: (v: T) => Promise<unknown>): Promise<{ value: T; release: () => Promise<void> }> {
  const q = p.then((value) => ({ value, release: onExit(what, () => undo(value)) }));
  pending.add(q);
  const forget = () => { pending.delete(q); };
  q.then(forget, forget);
  return q;
}
/** Undoes everything, newest first, until nothing is left (what is still running may make more meanwhile). */
async function cleanupAll(): Promise<void> {
  for (;;) {
    await Promise.allSettled([...pending]);
    const left = cleanups.filter((c) => !c.done).reverse();
    if (!left.length && !pending.size) return;
    for (const c of left) await runOnce(c);
  }
}
function stopIfInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) {
      console.error(`\n${sig} again: exiting without finishing cleanup`);
      process.exit(130);
    }
    interrupted = true;
    console.error(`\n${sig}: cleaning up`);
    console.log = () => undefined; // what is still running fails from here on: no figures, no noise
    void cleanupAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------
// helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const f0 = (x: number) => x.toFixed(0);
const mbps = (mb: number, ms: number) => mb / (ms / 1000);

interface Engine {
  name: string;
  berth: boolean;
  docker(a: string[], timeout?: number): Promise<ExecResult>;
  /** names of what the benchmark creates on this engine */
  n(base: string): string;
  /** the network namespace the engine's "host" is (bench/private-docker.sh); the root one when unset */
  netns?: string;
  /** a non-loopback address of the engine's host, for the DNAT path; undefined with the reason */
  hostAddr?: { addr?: string; why?: string };
}

async function must(e: Engine, a: string[], timeout?: number): Promise<string> {
  const r = await e.docker(a, timeout);
  if (r.code !== 0) throw new Error(`${e.name}: docker ${a.join(' ')}: exit ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

async function sh(cmd: string, a: string[]): Promise<string> {
  const r = await runCmd(cmd, a);
  if (r.code !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().on('error', reject).listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** median and range of the figures, or why there are none */
function summarize(xs: number[], err?: string): string {
  if (!xs.length) return `failed${err ? ` (${err})` : ''}`;
  const s = [...xs].sort((a, b) => a - b);
  return xs.length > 1 ? `${f0(median(xs))} MB/s (${f0(s[0])}..${f0(s[s.length - 1])})` : `${f0(xs[0])} MB/s`;
}

// results, for the table: rows in the order first reported
const rows: { label: string; cells: Map<string, string> }[] = [];
function put(label: string, engine: string, value: string): void {
  let r = rows.find((x) => x.label === label);
  if (!r) rows.push(r = { label, cells: new Map() });
  r.cells.set(engine, value);
}
const notes: string[] = [];

// ---------------------------------------------------------------------------------------------------
// 1. run --rm latency

async function latency(e: Engine, userNet: string): Promise<void> {
  const modes: [string, string[]][] = [['none', ['--network', 'none']], ['bridge', []], ['user', ['--network', userNet]]];
  // pooled over the rounds
  const xs = new Map<string, number[]>(modes.map(([m]) => [m, pooled(`latency ${m}`, e.name).xs]));
  for (const [, a] of modes) await must(e, ['run', '--rm', ...a, 'busybox', 'true']); // warm
  for (let i = 0; i < RUNS; i++) {
    stopIfInterrupted();
    for (const [m, a] of modes) { // interleaved, so drift and load hit the three alike
      const t = now();
      await must(e, ['run', '--rm', ...a, 'busybox', 'true']);
      xs.get(m)!.push(now() - t);
    }
  }
  const label: Record<string, string> = { none: '--network none', bridge: 'default bridge', user: `user network (${userNet.replace(/-\d+$/, '')})` };
  console.log(`[${e.name}] docker run --rm busybox true, ${xs.get('none')!.length} runs each:`);
  for (const [m] of modes) {
    const v = xs.get(m)!;
    console.log(`  ${label[m].padEnd(28)} p50 ${f0(pct(v, 50)).padStart(5)} ms   p95 ${f0(pct(v, 95)).padStart(5)} ms`);
    put(`run --rm true, ${label[m]} (p50 / p95)`, e.name, `${f0(pct(v, 50))} / ${f0(pct(v, 95))} ms`);
  }
  const add = (m: string, p: number) => pct(xs.get(m)!, p) - pct(xs.get('none')!, p);
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${f0(x)}`;
  console.log(`  added by networking: bridge - none = ${sign(add('bridge', 50))} ms at p50 (${sign(add('bridge', 95))} at p95); user - none = ${sign(add('user', 50))} ms at p50 (${sign(add('user', 95))} at p95)`);
  put('  added: bridge - none (p50 / p95)', e.name, `${sign(add('bridge', 50))} / ${sign(add('bridge', 95))} ms`);
  put('  added: user net - none (p50 / p95)', e.name, `${sign(add('user', 50))} / ${sign(add('user', 95))} ms`);
}

// ---------------------------------------------------------------------------------------------------
// 2. container to container

/** the sink: one `nc -l` at a time, restarted by a loop; each appends the time it read its last byte */
const SINK = `while :; do nc -l -p ${PORT} -e sh -c 'cat >/dev/null; echo | ts %.s >>/tmp/end'; done`;
const directSend = (ip: string) => `nc ${ip} ${PORT} -e dd if=/dev/zero bs=1M count=${MB}`;
const pipeSend = (ip: string) => `dd if=/dev/zero bs=1M count=${MB} | nc ${ip} ${PORT}`;

async function ipOf(e: Engine, c: string, netName: string): Promise<string> {
  const ip = await must(e, ['inspect', '-f', `{{(index .NetworkSettings.Networks "${netName}").IPAddress}}`, c]);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`${e.name}: no address for ${c} on ${netName}: ${JSON.stringify(ip)}`);
  return ip;
}

async function endStamps(e: Engine, sink: string): Promise<string[]> {
  const r = await e.docker(['exec', sink, 'cat', '/tmp/end']);
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** One transfer from a fresh client container to the sink; MB/s. */
async function c2cOnce(e: Engine, netArgs: string[], sink: string, ip: string, send: string): Promise<number> {
  const before = (await endStamps(e, sink)).length;
  // the client prints its start stamp, then sends; dd's report (stderr) tells whether all of it went
  const r = await e.docker(['run', '--rm', ...netArgs, 'busybox', 'sh', '-c', `echo START $(echo | ts %.s); timeout ${Math.ceil(XFER_TIMEOUT / 1000)} sh -c '${send}'`], XFER_TIMEOUT + 30_000);
  const start = /START (\d+\.\d+)/.exec(r.stdout)?.[1];
  if (r.code !== 0 || !start) throw new Error(`client exit ${r.code}: ${(r.stderr + r.stdout).trim().slice(0, 300)}`);
  if (!new RegExp(`^${MB}\\+0 records out`, 'm').test(r.stderr)) throw new Error(`dd did not write ${MB} MB: ${r.stderr.trim().slice(0, 300)}`);
  let stamps: string[] = [];
  const deadline = Date.now() + 10_000;
  while ((stamps = await endStamps(e, sink)).length <= before) {
    if (Date.now() > deadline) throw new Error('the sink never saw the end of the stream');
    await sleep(50);
  }
  const end = Number(stamps[stamps.length - 1].trim().split(/\s+/)[0]);
  const ms = (end - Number(start)) * 1000;
  if (!(ms > 0)) throw new Error(`bad stamps: start ${start}, end ${stamps[stamps.length - 1]}`);
  return mbps(MB, ms);
}

async function reps(fn: () => Promise<number>): Promise<{ xs: number[]; err?: string }> {
  const xs: number[] = [];
  let err: string | undefined;
  for (let i = 0; i < REPS; i++) {
    stopIfInterrupted();
    try {
      xs.push(await fn());
    } catch (e) {
      err = (e as Error).message;
      console.log(`    rep ${i + 1} failed: ${err}`);
    }
    await sleep(100);
  }
  return { xs, err };
}

/** the figures of one row and engine, gathered over the rounds */
const samples = new Map<string, { xs: number[]; err?: string }>();
function pooled(label: string, engine: string): { xs: number[]; err?: string } {
  const k = `${label}\0${engine}`;
  let v = samples.get(k);
  if (!v) samples.set(k, v = { xs: [] });
  return v;
}

async function report(e: Engine, label: string, r: { xs: number[]; err?: string }): Promise<void> {
  const all = pooled(label, e.name);
  all.xs.push(...r.xs);
  if (r.err) all.err = r.err;
  const s = summarize(all.xs, all.err);
  console.log(`  ${label.padEnd(50)} ${s}`);
  put(label, e.name, s);
}

async function containerToContainer(e: Engine, userNet: string): Promise<void> {
  console.log(`[${e.name}] container to container, ${MB} MB, median of ${REPS} (min..max):`);
  // the tools' ceiling: client and sink in one --network none container, over its lo
  const one = await reps(async () => {
    const r = await e.docker(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c',
      `nc -l -p ${PORT} -e sh -c 'cat >/dev/null; echo | ts %.s >/tmp/end' & sleep 0.3; echo START $(echo | ts %.s); ${directSend('127.0.0.1')}; wait; echo END $(cat /tmp/end)`], XFER_TIMEOUT + 30_000);
    const start = /START (\d+\.\d+)/.exec(r.stdout)?.[1];
    const end = /END (\d+\.\d+)/.exec(r.stdout)?.[1];
    if (r.code !== 0 || !start || !end || !new RegExp(`^${MB}\\+0 records out`, 'm').test(r.stderr)) throw new Error(`exit ${r.code}: ${(r.stderr + r.stdout).trim().slice(0, 300)}`);
    return mbps(MB, (Number(end) - Number(start)) * 1000);
  });
  await report(e, 'c2c: same netns over lo (tool ceiling)', one);

  for (const [label, netName, netArgs] of [['default bridge', 'bridge', []], [`user network (${userNet.replace(/-\d+$/, '')})`, userNet, ['--network', userNet]]] as [string, string, string[]][]) {
    const sink = e.n(`bench-sink-${netName === 'bridge' ? 'b' : 'u'}`);
    await must(e, ['run', '-d', '--name', sink, ...netArgs, 'busybox', 'sh', '-c', SINK]);
    try {
      const ip = await ipOf(e, sink, netName);
      await report(e, `c2c: ${label}`, await reps(() => c2cOnce(e, netArgs, sink, ip, directSend(ip))));
      if (netName === 'bridge') await report(e, 'c2c: default bridge, `dd | nc` pipe', await reps(() => c2cOnce(e, netArgs, sink, ip, pipeSend(ip))));
    } finally {
      await e.docker(['rm', '-f', sink]);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// 3. host to container

/** Writes `bytes` to host:port as fast as the socket takes them, ends, and waits for the peer to close; ms from connect to close. */
function push(host: string, port: number, bytes: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1 << 20);
    const s = net.connect({ host, port });
    let t0 = 0;
    let sent = 0;
    let finished = false;
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      (e as Error & { afterMs?: number }).afterMs = t0 ? now() - t0 : -1;
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms (${sent} bytes queued)`)), timeoutMs);
    const pump = () => {
      while (sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { s.once('drain', pump); return; }
      }
      s.end();
    };
    s.on('connect', () => { t0 = now(); pump(); });
    s.on('finish', () => { finished = true; });
    s.on('data', () => undefined); // the sink sends nothing; reading lets 'end' and 'close' come
    s.on('error', fail);
    s.on('close', () => {
      if (settled) return;
      if (!finished) return fail(new Error(`closed by the peer after ${sent} of ${bytes} bytes were queued`));
      settled = true;
      clearTimeout(timer);
      resolve(now() - t0);
    });
  });
}

/** push() from the engine's host: this process, or a child in the engine's network namespace. */
async function pushFrom(e: Engine | undefined, host: string, port: number, bytes: number, timeoutMs: number): Promise<number> {
  if (!e?.netns) return push(host, port, bytes, timeoutMs);
  const r = await runCmd('nsenter', [`--net=/run/netns/${e.netns}`, process.execPath, process.argv[1], '--push-child', host, String(port), String(bytes), String(timeoutMs)], { timeout: timeoutMs + 10_000 });
  const out = JSON.parse(r.stdout.trim().split('\n').pop() || '{}') as { ms?: number; error?: string; code?: string; afterMs?: number };
  if (out.ms !== undefined) return out.ms;
  throw Object.assign(new Error(out.error ?? `push child failed: ${r.stderr.trim()}`), { code: out.code, afterMs: out.afterMs });
}

/**
 * A transfer, retried while nothing listens yet (the sink's loop is between two `nc -l`): refused, or
 * reset right after connecting (a proxy accepts, then fails to reach the container).
 */
async function pushMB(host: string, port: number, e?: Engine): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return mbps(MB, await pushFrom(e, host, port, MB << 20, XFER_TIMEOUT));
    } catch (e) {
      const { code, afterMs = -1 } = e as NodeJS.ErrnoException & { afterMs?: number };
      const notListening = code === 'ECONNREFUSED' || ((code === 'ECONNRESET' || code === 'EPIPE') && afterMs < 50);
      if (!notListening || attempt >= 50) throw e;
      await sleep(20);
    }
  }
}

/** undefined when host:port takes a connection and closes after our end (the sink answers), else why not */
async function probe(host: string, port: number, ms: number, e?: Engine): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  let why = '';
  for (;;) {
    try {
      await pushFrom(e, host, port, 1, 2000);
      await sleep(200); // the sink's loop starts its next `nc -l`
      return undefined;
    } catch (e) {
      why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    if (Date.now() > deadline) return why;
    await sleep(100);
  }
}

/** our own non-loopback host address, on a veth pair made here (and only deleted by us) */
async function makeVeth(): Promise<string | undefined> {
  if (existsSync(`/sys/class/net/${VETH}`) || existsSync(`/sys/class/net/${VETH_PEER}`)) {
    return `${VETH} or ${VETH_PEER} already exists (not made by this run; left alone: delete it by hand if it is a leftover)`;
  }
  const addrs = await sh('ip', ['-4', '-o', 'addr', 'show']);
  if (addrs.includes(` ${VETH_ADDR}/`)) return `${VETH_ADDR} is already on this host (left alone)`;
  const made = await creating(runCmd('ip', ['link', 'add', VETH, 'type', 'veth', 'peer', 'name', VETH_PEER]), `delete ${VETH}`, async (r) => {
    if (r.code === 0) await runCmd('ip', ['link', 'del', VETH]);
  });
  if (made.value.code !== 0) return `ip link add ${VETH}: ${made.value.stderr.trim()}`;
  await sh('ip', ['address', 'add', `${VETH_ADDR}/24`, 'dev', VETH]);
  await sh('ip', ['link', 'set', VETH, 'up']);
  await sh('ip', ['link', 'set', VETH_PEER, 'up']);
  return undefined;
}

/** the same sink on the host itself (host busybox), as the host-side ceiling; undefined when there is no busybox */
async function hostSink(): Promise<{ port: number; stop: () => Promise<void> } | undefined> {
  stopIfInterrupted();
  if ((await runCmd('busybox', ['true'])).code !== 0) return undefined;
  const port = await freePort();
  const made = await creating(Promise.resolve(spawn('sh', ['-c', `while :; do busybox nc -l -p ${port} -e sh -c 'cat >/dev/null'; done`], { detached: true, stdio: 'ignore' })),
    'host sink', async (p) => {
      if (p.pid && p.exitCode === null) { try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ } }
    });
  return { port, stop: made.release };
}

async function hostToContainer(e: Engine, vethErr: string | undefined): Promise<void> {
  console.log(`[${e.name}] host to container (Node client), ${MB} MB, median of ${REPS} (min..max):`);
  if (e.berth) {
    const hs = await hostSink();
    if (hs) {
      try {
        const why = await probe('127.0.0.1', hs.port, 5000);
        await report(e, 'host: 127.0.0.1 to host busybox sink (no container)', why ? { xs: [], err: why } : await reps(() => pushMB('127.0.0.1', hs.port)));
      } finally {
        await hs.stop();
      }
    } else {
      console.log('  (no busybox on the host: no host-only baseline)');
    }
  }
  const hostPort = await freePort();
  const sink = e.n('bench-pub');
  await must(e, ['run', '-d', '--name', sink, '-p', `${hostPort}:${PORT}`, 'busybox', 'sh', '-c', SINK]);
  try {
    const ip = await ipOf(e, sink, 'bridge');
    const ready = await probe(ip, PORT, 10_000, e);
    if (ready) throw new Error(`${e.name}: the published sink does not answer on ${ip}:${PORT}: ${ready}`);
    await report(e, 'host: container address (routed, no NAT)', await reps(() => pushMB(ip, PORT, e)));
    const lo = await probe('127.0.0.1', hostPort, 5000, e);
    let loLabel = 'host: 127.0.0.1:hostport (loopback DNAT)';
    if (!e.berth && (await runCmd('pgrep', ['-x', 'docker-proxy'])).code === 0) loLabel = 'host: 127.0.0.1:hostport (userland proxy)';
    await report(e, loLabel, lo ? { xs: [], err: `does not answer: ${lo}` } : await reps(() => pushMB('127.0.0.1', hostPort, e)));
    const label = 'host: non-loopback host address:hostport (DNAT)';
    const addr = e.hostAddr ? e.hostAddr.addr : vethErr ? undefined : VETH_ADDR;
    if (!addr) {
      const why = e.hostAddr ? e.hostAddr.why : vethErr;
      console.log(`  host: non-loopback address:hostport (DNAT): not measured (${why})`);
      put(label, e.name, 'not measured');
    } else {
      const why = await probe(addr, hostPort, 5000, e);
      console.log(`  (the non-loopback host address is ${addr})`);
      await report(e, label, why ? { xs: [], err: `does not answer: ${why}` } : await reps(() => pushMB(addr, hostPort, e)));
    }
  } finally {
    await e.docker(['rm', '-f', sink]);
  }
}

/** berth only: a second daemon with "userland-proxy": true, and 127.0.0.1 through its proxy */
async function userlandProxy(vethErr: string | undefined): Promise<void> {
  const label = 'host: 127.0.0.1:hostport (userland proxy)';
  let d: { value: TestDaemon; release: () => Promise<void> };
  try {
    d = await creating(TestDaemon.create({ 'userland-proxy': true }), 'proxy daemon', (x) => x.stop());
  } catch (e) {
    const why = `the daemon did not start with "userland-proxy": true: ${(e as Error).message.split('\n')[0]}`;
    console.log(`userland proxy: not measured (${why})`);
    put(label, 'berth', 'not measured');
    notes.push(`userland proxy: not measured (${why})`);
    return;
  }
  try {
    await d.value.importBusybox();
    const e: Engine = { name: 'berth', berth: true, docker: (a, timeout) => d.value.docker(a, { timeout }), n: (b) => b };
    const hostPort = await freePort();
    await must(e, ['run', '-d', '--name', 'bench-proxy', '-p', `${hostPort}:${PORT}`, 'busybox', 'sh', '-c', SINK]);
    const ip = await ipOf(e, 'bench-proxy', 'bridge');
    const up = await probe(ip, PORT, 10_000);
    if (up) throw new Error(`the sink does not answer on ${ip}:${PORT}: ${up}`);
    const lo = await probe('127.0.0.1', hostPort, 5000);
    if (lo) {
      const dnat = vethErr ? 'not tried' : (await probe(VETH_ADDR, hostPort, 3000)) ?? 'answers';
      const why = `with "userland-proxy": true nothing answers on 127.0.0.1:${hostPort} (${lo}); the container does on ${ip}:${PORT}, the DNAT path on ${VETH_ADDR}: ${dnat}. The daemon takes the option but serves no proxy yet`;
      console.log(`userland proxy: not measured (${why})`);
      put(label, 'berth', 'not measured');
      notes.push(`userland proxy: not measured (${why})`);
      return;
    }
    console.log(`[berth, "userland-proxy": true] host to container, ${MB} MB, median of ${REPS} (min..max):`);
    await report(e, label, await reps(() => pushMB('127.0.0.1', hostPort)));
  } finally {
    await d.release();
  }
}

// ---------------------------------------------------------------------------------------------------

async function dockerEngine(host: string): Promise<Engine | undefined> {
  const e: Engine = {
    name: 'docker', berth: false,
    docker: (a, timeout) => runCmd('docker', ['-H', host, ...a], { timeout }),
    n: (b) => `${b}-${process.pid}`,
  };
  const v = await e.docker(['version', '-f', '{{.Server.Version}}']);
  if (v.code !== 0) {
    notes.push(`--docker-host ${host}: the engine does not answer (${v.stderr.trim().split('\n')[0]}): no side-by-side figures`);
    return undefined;
  }
  if ((await e.docker(['image', 'inspect', 'busybox'])).code !== 0) {
    notes.push(`--docker-host ${host}: no busybox image there (this script pulls nothing: run \`docker -H ${host} pull busybox\` first)`);
    return undefined;
  }
  console.log(`Docker engine at ${host}: ${v.stdout.trim()}${DOCKER_NETNS ? ` (its host side measured in network namespace ${DOCKER_NETNS})` : ''}`);
  if (DOCKER_NETNS) {
    e.netns = DOCKER_NETNS;
    // in its own namespace the engine's host has no veth of ours: its default bridge's address is the
    // non-loopback host address there (Docker 20.10 leaves the gateway out of the bridge network's IPAM)
    const br = (await e.docker(['network', 'inspect', 'bridge', '-f', '{{index .Options "com.docker.network.bridge.name"}}'])).stdout.trim() || 'docker0';
    const a = await runCmd('nsenter', [`--net=/run/netns/${DOCKER_NETNS}`, 'ip', '-4', '-o', 'addr', 'show', 'dev', br]);
    const addr = / inet (\d+\.\d+\.\d+\.\d+)\//.exec(a.stdout)?.[1];
    e.hostAddr = addr ? { addr } : { why: `no IPv4 address on ${br} in ${DOCKER_NETNS}: ${a.stderr.trim()}` };
  }
  return e;
}

async function measureEngine(e: Engine, vethErr: string | undefined): Promise<void> {
  stopIfInterrupted();
  const userNet = e.n('benchnet');
  await must(e, ['network', 'create', userNet]);
  const dropNet = onExit(`${e.name}: network rm ${userNet}`, () => e.docker(['network', 'rm', userNet]));
  // on a shared engine, what a failed step leaves behind goes too
  const dropRest = e.berth ? async () => undefined : onExit(`${e.name}: containers`, () => e.docker(['rm', '-f', ...['bench-sink-b', 'bench-sink-u', 'bench-pub'].map(e.n)]));
  try {
    await latency(e, userNet);
    stopIfInterrupted();
    await containerToContainer(e, userNet);
    stopIfInterrupted();
    await hostToContainer(e, vethErr);
  } finally {
    await dropRest();
    await dropNet();
  }
}

function table(engines: string[]): void {
  const w0 = Math.max(...rows.map((r) => r.label.length)) + 2;
  const ws = engines.map((en) => Math.max(en.length, ...rows.map((r) => (r.cells.get(en) ?? '-').length)) + 2);
  console.log('');
  const r = engines.length > 1 ? ROUNDS : 1;
  console.log(`Summary (${MB} MB transfers, MB = 2^20 bytes; ${RUNS * r} runs for latency; ${REPS * r} reps per throughput figure${r > 1 ? `, pooled over ${r} rounds taken in turn` : ""})`);
  console.log(`${''.padEnd(w0)}${engines.map((en, i) => en.padEnd(ws[i])).join('')}`);
  for (const r of rows) console.log(`${r.label.padEnd(w0)}${engines.map((en, i) => (r.cells.get(en) ?? '-').padEnd(ws[i])).join('')}`);
}

async function main(): Promise<void> {
  console.log(`berth network benchmark: ${os.cpus().length} CPUs, ${os.release()}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const engines = ['berth'];
  try {
    const vethErr = await makeVeth();
    if (vethErr) console.log(`DNAT path: not measured (${vethErr})`);

    const d = await creating(TestDaemon.create(), 'berthd', (x) => x.stop());
    try {
      await d.value.importBusybox();
      const berth: Engine = { name: 'berth', berth: true, docker: (a, timeout) => d.value.docker(a, { timeout }), n: (b) => b };
      const de = DOCKER_HOST && !interrupted ? await dockerEngine(DOCKER_HOST) : undefined;
      if (de) engines.push('docker');
      const rounds = de ? ROUNDS : 1;
      for (let round = 1; round <= rounds && !interrupted; round++) {
        if (rounds > 1) console.log(`--- round ${round} of ${rounds}`);
        await measureEngine(berth, vethErr);
        if (de && !interrupted) await measureEngine(de, vethErr);
      }
    } finally {
      await d.release();
    }
    if (!interrupted) await userlandProxy(vethErr);
  } finally {
    await cleanupAll();
  }
  if (interrupted) return;
  table(engines);
  console.log('');
  for (const n of notes) console.log(n);
  if (!engines.includes('docker')) {
    const local = existsSync('/var/run/docker.sock') && (await runCmd('docker', ['-H', 'unix:///var/run/docker.sock', 'version', '-f', '{{.Server.Version}}'])).code === 0;
    console.log(local
      ? 'A Docker engine answers on /var/run/docker.sock: for side-by-side figures run  node dist/bench/network.js --docker-host unix:///var/run/docker.sock'
      : 'Side-by-side comparison with Docker was not possible here (no Docker engine on this machine, only the docker CLI). Where dockerd runs, '
        + `as root, after \`docker pull busybox\`: node dist/bench/network.js --docker-host unix:///var/run/docker.sock${MB !== 512 ? ` --mb ${MB}` : ''}${RUNS !== 20 ? ` --runs ${RUNS}` : ''}`);
  }
}

if (process.argv[2] === '--push-child') {
  // one transfer from inside another network namespace (see pushFrom); prints its result as JSON
  const [host, port, bytes, timeout] = process.argv.slice(3);
  push(host, Number(port), Number(bytes), Number(timeout)).then(
    (ms) => { console.log(JSON.stringify({ ms })); process.exit(0); },
    (e: NodeJS.ErrnoException & { afterMs?: number }) => { console.log(JSON.stringify({ error: e.message, code: e.code, afterMs: e.afterMs })); process.exit(0); },
  );
} else main().then(
  () => { if (!interrupted) process.exit(0); },
  (e) => {
    if (interrupted) return; // the signal handler exits once cleanup is done
    console.error(e);
    process.exit(1);
  },
);
