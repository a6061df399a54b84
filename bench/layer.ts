/**
 * What a RUN step's layer costs, run by hand as root after `npm run build`:
 *   node dist/bench/layer.js [--reps N (3)] [--files N (2000)] [--mb N (256)] [--docker-host URL] [--cpu-prof DIR]
 * Builds (`docker build --no-cache`, classic builder) two one-step Dockerfiles on busybox: a RUN that
 * writes --files small files in 20 directories, and a RUN that writes 4 files of --mb/4 MB each. For
 * Berth (its daemon started with BERTH_BUILD_TRACE=1) it reports the time of the step's `diffLayer`
 * (pack the container's diff, store it and unpack it as a layer) and the daemon's CPU time (user+system,
 * its own and its reaped children's, /proc/PID/stat) over the whole build; for Docker 20.10 (the engine of bench/private-docker.sh) the
 * dockerd's CPU time and the build's wall time. Medians of --reps, with the load average beside them.
 * Then the layer path alone, in this process (no container, no daemon; the figure that moves least on
 * a busy machine): the same two trees made on the host, packed as a layer (TreePacker on the daemon's
 * local walk) into a fresh image store (stored and unpacked in one pass, ImageStore.ingestLayerStream).
 */
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { DAEMON_NODE_FLAGS } from '../src/daemon/config.js';
import { TestDaemon, runCmd } from '../test/harness.js';
import { coalesce, packInto, TreePacker } from '../src/containers/fs/pack.js';
import { Scope } from '../src/containers/fs/scope.js';
import { ImageStore } from '../src/images/store.js';
import { numOpt, opt, usage } from './args.js';

usage('node dist/bench/layer.js [--reps N (3)] [--files N (2000)] [--mb N (256)] [--docker-host URL] [--cpu-prof DIR]');
const REPS = numOpt('--reps', 3);
const FILES = numOpt('--files', 2000);
const MB = numOpt('--mb', 256);
const DOCKER_HOST = opt('--docker-host') ?? 'unix:///tmp/bt-dockerd/docker.sock';
// the daemon's CPU profile (written when it stops) into DIR
const PROF = opt('--cpu-prof');
if (PROF) (DAEMON_NODE_FLAGS as string[]).push('--cpu-prof', `--cpu-prof-dir=${PROF}`);

const CASES: { name: string; dockerfile: string }[] = [
  {
    name: `RUN writing ${FILES} small files`,
    dockerfile: `FROM busybox\nRUN for d in $(seq 1 20); do mkdir -p /data/d$d; done && for i in $(seq 1 ${FILES}); do echo "file $i content" > /data/d$((i % 20 + 1))/f$i; done\n`,
  },
  {
    name: `RUN writing 4 files of ${Math.floor(MB / 4)} MB`,
    dockerfile: `FROM busybox\nRUN for i in 1 2 3 4; do dd if=/dev/zero of=/big$i bs=1M count=${Math.floor(MB / 4)} 2>/dev/null; done\n`,
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const TICK = 100; // USER_HZ

/**
 * user+system CPU time of a process and of its children it waited for, in ms (dockerd unpacks a layer in
 * a child process of its own, docker-applyLayer)
 */
function cpuMs(pid: number, children = true): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) * 1000) / TICK;
}

const load = () => os.loadavg()[0]!.toFixed(2);

/** The layer path alone: `tree` packed as a layer into a fresh image store; wall and CPU time (ms). */
async function layerPath(tree: string, work: string): Promise<{ wall: number; cpu: number }> {
  const root = await fsp.mkdtemp(path.join(work, 'store-'));
  try {
    const store = await ImageStore.open(root);
    const c0 = process.cpuUsage();
    const t = process.hrtime.bigint();
    const scope = await Scope.open(tree);
    const out = new PassThrough();
    try {
      const [, got] = await Promise.all([
        packInto(async (pack) => new TreePacker(scope, pack, { local: true }).entry(await scope.rootEntry(), ''), coalesce(), out),
        store.ingestLayerStream(out, { sync: false }),
      ]);
      got.release();
    } finally {
      await scope.close();
    }
    const c = process.cpuUsage(c0);
    return { wall: Number(process.hrtime.bigint() - t) / 1e6, cpu: (c.user + c.system) / 1000 };
  } finally {
    await fsp.rm(root, { recursive: true, force: true });
  }
}

async function components(work: string): Promise<void> {
  const small = path.join(work, 'tree-small');
  for (let i = 1; i <= FILES; i++) {
    await fsp.mkdir(path.join(small, 'data', `d${(i % 20) + 1}`), { recursive: true });
    await fsp.writeFile(path.join(small, 'data', `d${(i % 20) + 1}`, `f${i}`), `file ${i} content\n`);
  }
  const big = path.join(work, 'tree-big');
  await fsp.mkdir(big);
  for (let i = 1; i <= 4; i++) await fsp.writeFile(path.join(big, `big${i}`), Buffer.alloc(Math.floor(MB / 4) << 20, i));
  for (const [label, tree] of [[`${FILES} small files`, small], [`4 files of ${Math.floor(MB / 4)} MB`, big]] as const) {
    const rows = { wall: [] as number[], cpu: [] as number[], load: [] as string[] };
    for (let rep = 0; rep < REPS + 1; rep++) {
      const r = await layerPath(tree, work);
      if (rep === 0) continue; // warm-up: code loaded and compiled, page cache filled
      rows.wall.push(r.wall);
      rows.cpu.push(r.cpu);
      rows.load.push(load());
    }
    console.log(`layer path alone, ${label} (median of ${REPS}, ms; load ${rows.load.join(' ')})`);
    console.log(`  pack + store + unpack   CPU ${median(rows.cpu).toFixed(0)}   wall ${median(rows.wall).toFixed(0)}`);
  }
}

async function main(): Promise<void> {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-bench-layer-'));
  process.env.BERTH_BUILD_TRACE = '1';
  const berth = await TestDaemon.create();
  const tags: string[] = [];
  try {
    await berth.importBusybox();
    const v = await runCmd('docker', ['-H', DOCKER_HOST, 'version', '-f', '{{.Server.Version}}']);
    const docker = v.code === 0 ? { version: v.stdout.trim(), pid: () => Number(readFileSync('/tmp/bt-dockerd/docker.pid', 'utf8')) } : undefined;
    if (!docker) console.log(`no Docker engine at ${DOCKER_HOST}: Berth's figures only`);
    for (const [n, c] of CASES.entries()) {
      const ctx = path.join(work, `c${n}`);
      await fsp.mkdir(ctx);
      await fsp.writeFile(path.join(ctx, 'Dockerfile'), c.dockerfile);
      const rows = { diff: [] as number[], cpu: [] as number[], own: [] as number[], wall: [] as number[], dcpu: [] as number[], dwall: [] as number[], load: [] as string[] };
      for (let rep = 0; rep < REPS; rep++) {
        rows.load.push(load());
        const logAt = berth.log.length;
        const pid = berth.proc!.pid!;
        let cpu0 = cpuMs(pid);
        const own0 = cpuMs(pid, false);
        let t = process.hrtime.bigint();
        const r = await berth.docker(['build', '-q', '--no-cache', '-t', `bench-layer:${n}`, ctx], { timeout: 600000 });
        if (r.code !== 0) throw new Error(`berth build: ${r.stderr}`);
        rows.wall.push(Number(process.hrtime.bigint() - t) / 1e6);
        rows.cpu.push(cpuMs(pid) - cpu0);
        rows.own.push(cpuMs(pid, false) - own0);
        const d = /build-trace diffLayer (\d+)ms/.exec(berth.log.slice(logAt));
        rows.diff.push(d ? Number(d[1]) : NaN);
        if (docker) {
          const dpid = docker.pid();
          cpu0 = cpuMs(dpid);
          t = process.hrtime.bigint();
          const dr = await runCmd('docker', ['-H', DOCKER_HOST, 'build', '-q', '--no-cache', '-t', `bench-layer:${n}`, ctx], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeout: 600000 });
          if (dr.code !== 0) throw new Error(`docker build: ${dr.stderr}`);
          rows.dwall.push(Number(process.hrtime.bigint() - t) / 1e6);
          rows.dcpu.push(cpuMs(dpid) - cpu0);
          tags.push(dr.stdout.trim()); // each rep's image (the tag moves on; the old one is removed by id)
        }
      }
      console.log(`${c.name} (median of ${REPS}, ms; load ${rows.load.join(' ')})`);
      console.log(`  berth   diffLayer ${median(rows.diff).toFixed(0)}   daemon CPU ${median(rows.cpu).toFixed(0)} (its own ${median(rows.own).toFixed(0)})   build wall ${median(rows.wall).toFixed(0)}`);
      if (docker) console.log(`  docker ${docker.version}   dockerd CPU ${median(rows.dcpu).toFixed(0)}   build wall ${median(rows.dwall).toFixed(0)}`);
    }
    await components(work);
  } finally {
    // only the images this run made on the shared engine
    for (const t of new Set(tags)) await runCmd('docker', ['-H', DOCKER_HOST, 'rmi', '-f', t]);
    await berth.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
}

await main();
