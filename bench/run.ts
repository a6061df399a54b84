/**
 * Benchmark, run by hand as root after `npm run build`:
 *   node dist/bench/run.js [--runs N] [--containers N] [--docker-host unix:///path/docker.sock]
 * Prints `run --rm busybox true` latency (p50, p95) through the docker CLI and through the berth CLI,
 * the time to start N detached containers, daemon RSS idle and loaded, and memory per running container
 * (conmon RSS and PSS). Where Docker's engine runs (--docker-host, default /var/run/docker.sock, answers),
 * the same figures are taken from it in the same run, in alternating blocks, and the ratio is printed. That engine
 * needs a `busybox` image with `sleep` (e.g. `docker import -c 'CMD ["sh"]' rootfs.tar busybox`).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { BUSYBOX_TAR, TestDaemon, runCmd } from '../test/harness.js';
import { ConmonRuntime } from '../src/runtime/conmon/index.js';
import { lookPath } from '../src/runtime/lookpath.js';
import { numOpt, opt, usage } from './args.js';

usage('node dist/bench/run.js [--runs N (20)] [--containers N (50)] [--docker-host URL (unix:///var/run/docker.sock)]');
const RUNS = numOpt('--runs', 20);
const CONTAINERS = numOpt('--containers', 50);
const DOCKER_HOST = opt('--docker-host') ?? 'unix:///var/run/docker.sock';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

function memOf(pid: number): { rss: number; pss: number } {
  try {
    const r = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(r)?.[1] ?? 0);
    return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

interface Engine { name: string; docker(a: string[]): Promise<{ code: number; stdout: string; stderr: string }> }

async function runOnce(e: Engine, net: string[]): Promise<number> {
  return time(async () => {
    const r = await e.docker(['run', '--rm', ...net, 'busybox', 'true']);
    if (r.code !== 0) throw new Error(`${e.name}: ${r.stderr}`);
  });
}

/**
 * `run --rm` latency of each engine, measured in alternating blocks of 5 runs, so that drift on the
 * machine (25-40% within an hour here) hits every engine alike.
 */
async function latencies(engines: Engine[], net: string[]): Promise<number[][]> {
  for (const e of engines) await runOnce(e, net); // warm
  const xs = engines.map(() => [] as number[]);
  for (let done = 0; done < RUNS; done += 5) {
    for (const [i, e] of engines.entries()) for (let k = done; k < Math.min(RUNS, done + 5); k++) xs[i].push(await runOnce(e, net));
  }
  return xs;
}

/** `run -d` of CONTAINERS containers per engine, in alternating blocks of 10; returns the summed time. */
async function startMany(engines: Engine[]): Promise<{ ms: number; ids: string[] }[]> {
  const out = engines.map(() => ({ ms: 0, ids: [] as string[] }));
  for (let done = 0; done < CONTAINERS; done += 10) {
    for (const [i, e] of engines.entries()) {
      out[i].ms += await time(async () => {
        for (let k = done; k < Math.min(CONTAINERS, done + 10); k++) {
          const r = await e.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '600']);
          if (r.code !== 0) throw new Error(r.stderr);
          out[i].ids.push(r.stdout.trim());
        }
      });
    }
  }
  return out;
}

/** RSS of a process and its descendants (dockerd and the containerd it starts), in MB. */
async function treeRss(pid: number): Promise<number> {
  const r = await runCmd('ps', ['-e', '-o', 'pid=,ppid=,rss=']);
  const rows = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const pids = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, pp] of rows) if (pids.has(pp) && !pids.has(p)) { pids.add(p); grew = true; }
  }
  // containerd-shims and containers are not the engine's idle cost: only dockerd and containerd count
  const comm = async (p: number) => readFileSync(`/proc/${p}/comm`, 'utf8').trim();
  let kb = 0;
  for (const [p, , rss] of rows) if (pids.has(p) && ['dockerd', 'containerd'].includes(await comm(p).catch(() => ''))) kb += rss;
  return kb / 1024;
}

/**
 * The floor under any engine built on conmon and runc: conmon running `runc create`, `runc start`, the
 * exit, and `runc delete`, driven directly (no daemon, no API) with the OCI spec berthd generated for
 * one of its containers, changed only to run `true` in a rootfs of its own and a cgroup of its own.
 */
async function runtimeFloor(d: TestDaemon, sampleId: string, runs: number): Promise<number[]> {
  const dir = path.join(d.dir, 'floor');
  await fsp.mkdir(path.join(dir, 'rootfs'), { recursive: true });
  const tar = await runCmd('tar', ['-xf', BUSYBOX_TAR, '-C', path.join(dir, 'rootfs')]);
  if (tar.code !== 0) throw new Error(`floor: ${tar.stderr}`);
  const spec = JSON.parse(readFileSync(path.join(d.execRoot, 'c', sampleId.slice(0, 24), 'config.json'), 'utf8')) as {
    root: { path: string }; process: { args: string[]; terminal?: boolean }; linux: { cgroupsPath: string };
  };
  const rt = new ConmonRuntime({ runtimePath: lookPath('runc'), stateRoot: path.join(dir, 'runc'), exitDir: path.join(dir, 'exits') });
  await rt.init();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const id = `floor${i}`;
    const bundle = path.join(dir, id);
    await fsp.mkdir(bundle);
    const cfg = { ...spec, root: { ...spec.root, path: path.join(dir, 'rootfs') }, process: { ...spec.process, args: ['true'], terminal: false },
      linux: { ...spec.linux, cgroupsPath: `${path.dirname(spec.linux.cgroupsPath)}/${id}` } };
    await fsp.writeFile(path.join(bundle, 'config.json'), JSON.stringify(cfg));
    xs.push(await time(async () => {
      await rt.create({ id, bundle, tty: false, stdin: false, logPath: path.join(bundle, 'log'), leaveStdinOpen: false });
      await rt.start(id);
      while ((await rt.takeExit(id)) === undefined) await settle(1);
      await rt.delete(id);
    }));
  }
  return xs;
}

async function settle(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function main(): Promise<void> {
  const d = await TestDaemon.create();
  try {
    await d.importBusybox();
    const berthEngine: Engine = { name: 'berth', docker: (a) => d.docker(a) };
    const dockerUp = existsSync(DOCKER_HOST.replace(/^unix:\/\//, '')) && (await runCmd('/usr/local/bin/docker', ['-H', DOCKER_HOST, 'version'])).code === 0;
    const dockerEngine: Engine | undefined = dockerUp ? { name: 'docker', docker: (a) => runCmd('/usr/local/bin/docker', ['-H', DOCKER_HOST, ...a]) } : undefined;
    if (!dockerEngine) console.log('(no Docker engine answers at ' + DOCKER_HOST + ': no side-by-side figures; see bench/README.md)');

    // idle: after the import, and in a daemon started afresh on the same data root (what a booted host runs)
    await settle(2000);
    const afterImport = memOf(d.proc!.pid!);
    await d.halt();
    await d.start();
    await settle(3000);
    const idle = memOf(d.proc!.pid!);
    // dockerd's pid file next to its socket (bench/private-docker.sh, or /var/run/docker.pid)
    let dockerPid = 0;
    try {
      dockerPid = Number(readFileSync(path.join(path.dirname(DOCKER_HOST.replace(/^unix:\/\//, '')), 'docker.pid'), 'utf8').trim());
    } catch {
      /* no pid file: no idle figure for Docker */
    }
    const dockerIdle = dockerEngine && dockerPid ? await treeRss(dockerPid).catch(() => 0) : 0;
    console.log(`berthd idle RSS: ${idle.rss.toFixed(1)} MB fresh on a data root with the image, ${afterImport.rss.toFixed(1)} MB right after importing it` +
      (dockerIdle ? ` (dockerd + containerd: ${dockerIdle.toFixed(1)} MB)` : ''));

    const engines = dockerEngine ? [berthEngine, dockerEngine] : [berthEngine];
    const [lat, dl] = await latencies(engines, ['--network', 'none']);
    console.log(`run --rm --network none busybox true (docker CLI -> berthd, ${RUNS} runs): p50 ${pct(lat, 50).toFixed(0)} ms, p95 ${pct(lat, 95).toFixed(0)} ms`);
    if (dl) console.log(`  docker engine: p50 ${pct(dl, 50).toFixed(0)} ms, p95 ${pct(dl, 95).toFixed(0)} ms (berth/docker ratio ${(pct(lat, 50) / pct(dl, 50)).toFixed(2)})`);
    const own: number[] = [];
    for (let i = 0; i < RUNS; i++) own.push(await time(() => d.berth(['run', '--rm', '--network', 'none', 'busybox', 'true'])));
    console.log(`run --rm --network none busybox true (berth CLI -> berthd): p50 ${pct(own, 50).toFixed(0)} ms, p95 ${pct(own, 95).toFixed(0)} ms`);

    const [many, dm] = await startMany(engines);
    console.log(`${CONTAINERS} sequential run -d: ${(many.ms / 1000).toFixed(2)} s`);
    if (dm) console.log(`  docker engine: ${CONTAINERS} run -d in ${(dm.ms / 1000).toFixed(2)} s (ratio ${(many.ms / dm.ms).toFixed(2)})`);
    const loaded = memOf(d.proc!.pid!);
    const conmons = (await runCmd('pgrep', ['-f', `conmon.*${d.execRoot}`])).stdout.split('\n').filter(Boolean).map(Number);
    const mon = conmons.map(memOf);
    const avg = (k: 'rss' | 'pss') => mon.reduce((s, m) => s + m[k], 0) / Math.max(1, mon.length);
    console.log(`berthd RSS with ${CONTAINERS} running: ${loaded.rss.toFixed(1)} MB`);
    console.log(`per running container: conmon RSS ${avg('rss').toFixed(2)} MB, PSS ${avg('pss').toFixed(2)} MB (${mon.length} monitors); daemon share ${((loaded.rss - idle.rss) / CONTAINERS).toFixed(2)} MB`);
    if (dockerEngine && dm) await dockerEngine.docker(['rm', '-f', ...dm.ids]);
    const floor = await runtimeFloor(d, many.ids[0], RUNS);
    const cli: number[] = [];
    for (let i = 0; i < RUNS; i++) cli.push(await time(() => d.docker(['version'])));
    console.log(`floor: conmon + runc alone (create, start, exit, delete) with berthd's spec: p50 ${pct(floor, 50).toFixed(0)} ms; the docker CLI's own start (docker version): p50 ${pct(cli, 50).toFixed(0)} ms` +
      (dl ? ` (together ${(pct(floor, 50) + pct(cli, 50)).toFixed(0)} ms, ${((pct(floor, 50) + pct(cli, 50)) / pct(dl, 50)).toFixed(2)} of Docker's run --rm)` : ''));
    const rm = await time(() => d.docker(['rm', '-f', ...many.ids]));
    console.log(`rm -f of ${CONTAINERS} running containers: ${(rm / 1000).toFixed(2)} s`);
  } finally {
    await d.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
