/**
 * Benchmark, run by hand as root after `npm run build`:
 *   node dist/bench/run.js [--runs N] [--containers N] [--docker-host unix:///path/docker.sock]
 * Prints, for berthd's crun and runc (`--runtime` per container) and for Docker, interleaved: `run --rm
 * busybox true` latency (p50, p95) with --network none and on the default bridge, the berth CLI against
 * the docker CLI, the time to start N detached containers (sequentially, and from 8 clients at once),
 * `berth ps`, daemon RSS idle, loaded and with 20 running, memory per running container (conmon RSS and
 * PSS), and the floor of each runtime (conmon + the runtime alone, with berthd's spec). Where Docker's engine runs (--docker-host, default /var/run/docker.sock, answers),
 * the same figures are taken from it in the same run, in alternating blocks, and the ratio is printed. That engine
 * needs a `busybox` image with `sleep` (e.g. `docker import -c 'CMD ["sh"]' rootfs.tar busybox`).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { BUSYBOX_TAR, TestDaemon, runCmd } from '../test/harness.js';
import { ConmonRuntime } from '../src/runtime/conmon/index.js';
import { lookPath } from '../src/runtime/lookpath.js';
import { cgroupLayout, invocation } from '../src/runtime/select.js';
import { nativeHelper } from '../src/host/native.js';
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

interface Engine { name: string; docker(a: string[]): Promise<{ code: number; stdout: string; stderr: string }>; runArgs?: string[] }

async function runOnce(e: Engine, net: string[]): Promise<number> {
  return time(async () => {
    const r = await e.docker(['run', '--rm', ...(e.runArgs ?? []), ...net, 'busybox', 'true']);
    if (r.code !== 0) throw new Error(`${e.name}: ${r.stderr}`);
  });
}

/**
 * `run --rm` latency of each engine under each network setting, measured in alternating blocks of 5 runs
 * (engine by engine, and within an engine setting by setting), so that drift on the machine (25-40%
 * within an hour here, far more when other work comes and goes) hits every engine and setting alike.
 * Returns xs[setting][engine].
 */
async function latencies(engines: Engine[], nets: string[][]): Promise<number[][][]> {
  for (const e of engines) for (const net of nets) await runOnce(e, net); // warm
  const xs = nets.map(() => engines.map(() => [] as number[]));
  for (let done = 0; done < RUNS; done += 5) {
    for (const [i, e] of engines.entries()) {
      for (const [j, net] of nets.entries()) for (let k = done; k < Math.min(RUNS, done + 5); k++) xs[j]![i]!.push(await runOnce(e, net));
    }
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
          const r = await e.docker(['run', '-d', ...(e.runArgs ?? []), '--network', 'none', 'busybox', 'sleep', '600']);
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
async function runtimeFloor(d: TestDaemon, sampleId: string, runs: number, runtime: 'runc' | 'crun'): Promise<number[]> {
  const dir = path.join(d.dir, `floor-${runtime}`);
  await fsp.mkdir(path.join(dir, 'rootfs'), { recursive: true });
  const tar = await runCmd('tar', ['-xf', BUSYBOX_TAR, '-C', path.join(dir, 'rootfs')]);
  if (tar.code !== 0) throw new Error(`floor: ${tar.stderr}`);
  const spec = JSON.parse(readFileSync(path.join(d.execRoot, 'c', sampleId.slice(0, 24), 'config.json'), 'utf8')) as {
    root: { path: string }; process: { args: string[]; terminal?: boolean }; linux: { cgroupsPath: string };
  };
  // the runtime as berthd runs it (crun through the mount-hiding helper on a hybrid cgroup layout; runc
  // started through its exec.fifo), with the spec berthd wrote for it (crun's with the precompiled filter)
  const inv = invocation(lookPath(runtime), [], cgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8')), nativeHelper('berth-hide-mount-exec'));
  const rt = new ConmonRuntime({ runtimePath: inv.path, runtimeArgs: inv.args, stateRoot: path.join(dir, 'state'), exitDir: path.join(dir, 'exits'), startByFifo: runtime === 'runc' ? 'read' : 'write' });
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

    const crunEngine: Engine = { name: 'berth (crun)', docker: (a) => d.docker(a), runArgs: ['--runtime', 'crun'] };
    const runcEngine: Engine = { name: 'berth (runc)', docker: (a) => d.docker(a), runArgs: ['--runtime', 'runc'] };
    const engines = dockerEngine ? [crunEngine, runcEngine, dockerEngine] : [crunEngine, runcEngine];
    const show = (label: string, xs: number[][]) => {
      const dockerP50 = dockerEngine ? pct(xs[engines.length - 1]!, 50) : 0;
      for (const [i, e] of engines.entries()) {
        const p50 = pct(xs[i]!, 50);
        console.log(`${label} ${e.name}: p50 ${p50.toFixed(0)} ms, p95 ${pct(xs[i]!, 95).toFixed(0)} ms` + (dockerP50 && e !== dockerEngine ? ` (ratio ${(p50 / dockerP50).toFixed(2)})` : ''));
      }
    };
    // --network none and the default bridge in alternating blocks: what the bridge adds is compared in one stretch of time
    const [none, bridge] = (await latencies(engines, [['--network', 'none'], []])) as [number[][], number[][]];
    show(`run --rm --network none busybox true (docker CLI, ${RUNS} runs)`, none);
    show('run --rm busybox true on the default bridge', bridge);
    for (const [i, e] of engines.entries()) {
      const added = pct(bridge[i]!, 50) - pct(none[i]!, 50);
      const dockerAdded = dockerEngine ? pct(bridge[engines.length - 1]!, 50) - pct(none[engines.length - 1]!, 50) : 0;
      console.log(`  the bridge adds ${added.toFixed(0)} ms on ${e.name}` + (dockerAdded > 0 && e !== dockerEngine ? ` (ratio ${(added / dockerAdded).toFixed(2)})` : ''));
    }
    // the berth CLI against the docker CLI, both against berthd (default runtime), interleaved
    const own: number[] = [];
    const viaDocker: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      own.push(await time(() => d.berth(['run', '--rm', '--network', 'none', 'busybox', 'true'])));
      viaDocker.push(await time(() => d.docker(['run', '--rm', '--network', 'none', 'busybox', 'true'])));
    }
    console.log(`run --rm --network none busybox true against berthd: berth CLI p50 ${pct(own, 50).toFixed(0)} ms, docker CLI p50 ${pct(viaDocker, 50).toFixed(0)} ms (difference ${(pct(own, 50) - pct(viaDocker, 50)).toFixed(0)} ms)`);
    // the floors under both CLIs: an empty Node (with the environment bin/berth gives the CLI) and the docker CLI's own start
    const { NODE_EXTRA_CA_CERTS: extraCa, ...cliEnv } = process.env;
    const nodeFloor: number[] = [];
    const dockerFloor: number[] = [];
    const berthVersion: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      nodeFloor.push(await time(() => runCmd(process.execPath, ['-e', '0'], { env: cliEnv })));
      berthVersion.push(await time(() => d.berth(['--version'])));
      dockerFloor.push(await time(() => runCmd('/usr/local/bin/docker', ['--version'])));
    }
    console.log(`CLI floors, p50: node -e 0 ${pct(nodeFloor, 50).toFixed(0)} ms, berth --version ${pct(berthVersion, 50).toFixed(0)} ms, docker --version ${pct(dockerFloor, 50).toFixed(0)} ms` +
      (extraCa ? ` (NODE_EXTRA_CA_CERTS is set here: bin/berth leaves it out, as for these figures)` : ''));

    const many = await startMany(engines);
    for (const [i, e] of engines.entries()) {
      console.log(`${CONTAINERS} sequential run -d, ${e.name}: ${(many[i]!.ms / 1000).toFixed(2)} s` + (dockerEngine && e !== dockerEngine ? ` (ratio ${(many[i]!.ms / many[engines.length - 1]!.ms).toFixed(2)})` : ''));
    }
    const ps: number[] = [];
    for (let i = 0; i < RUNS; i++) ps.push(await time(() => d.berth(['ps'])));
    console.log(`berth ps with ${2 * CONTAINERS} running: p50 ${pct(ps, 50).toFixed(0)} ms`);
    const loaded = memOf(d.proc!.pid!);
    const conmons = (await runCmd('pgrep', ['-f', `conmon.*${d.execRoot}`])).stdout.split('\n').filter(Boolean).map(Number);
    const mon = conmons.map(memOf);
    const avg = (k: 'rss' | 'pss') => mon.reduce((sum, m) => sum + m[k], 0) / Math.max(1, mon.length);
    console.log(`berthd RSS with ${2 * CONTAINERS} running: ${loaded.rss.toFixed(1)} MB`);
    console.log(`per running container: conmon RSS ${avg('rss').toFixed(2)} MB, PSS ${avg('pss').toFixed(2)} MB (${mon.length} monitors)`);
    const berthIds = [...many[0]!.ids, ...many[1]!.ids];
    if (dockerEngine) await dockerEngine.docker(['rm', '-f', ...many[engines.length - 1]!.ids]);
    // 20 left running
    await d.docker(['rm', '-f', ...berthIds.slice(20)]);
    await settle(2000);
    console.log(`berthd RSS with 20 running (after the import and all the runs above): ${memOf(d.proc!.pid!).rss.toFixed(1)} MB`);
    await d.docker(['rm', '-f', ...berthIds.slice(0, 20)]);

    // 8 clients at once, sharing CONTAINERS run -d between them; engines in turn
    for (const e of engines) {
      const ids: string[] = [];
      const ms = await time(() => Promise.all(Array.from({ length: 8 }, async (_x, c) => {
        for (let k = c; k < CONTAINERS; k += 8) {
          const r = await e.docker(['run', '-d', ...(e.runArgs ?? []), '--network', 'none', 'busybox', 'sleep', '600']);
          if (r.code !== 0) throw new Error(r.stderr);
          ids.push(r.stdout.trim());
        }
      })));
      console.log(`8 clients, ${CONTAINERS} run -d in all, ${e.name}: ${(ms / 1000).toFixed(2)} s`);
      await e.docker(['rm', '-f', ...ids]);
    }

    const cli: number[] = [];
    for (let i = 0; i < RUNS; i++) cli.push(await time(() => d.docker(['version'])));
    const dockerP50 = dockerEngine ? pct(none[engines.length - 1]!, 50) : 0;
    for (const rtName of ['crun', 'runc'] as const) {
      const sample = await d.docker(['create', '--runtime', rtName, '--network', 'none', 'busybox', 'sleep', '600']);
      await d.docker(['start', sample.stdout.trim()]);
      const floor = await runtimeFloor(d, sample.stdout.trim(), RUNS, rtName);
      await d.docker(['rm', '-f', sample.stdout.trim()]);
      console.log(`floor, ${rtName}: conmon + ${rtName} alone (create, start, exit, delete) with berthd's spec: p50 ${pct(floor, 50).toFixed(0)} ms; with the docker CLI's own start (docker version, p50 ${pct(cli, 50).toFixed(0)} ms) ` +
        `${(pct(floor, 50) + pct(cli, 50)).toFixed(0)} ms` + (dockerP50 ? `, ${((pct(floor, 50) + pct(cli, 50)) / dockerP50).toFixed(2)} of Docker's run --rm` : ''));
    }
  } finally {
    await d.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
