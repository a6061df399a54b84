/**
 * Benchmark, run by hand as root after `npm run build`:
 *   node dist/bench/run.js [--runs N] [--containers N] [--docker-host unix:///path/docker.sock]
 * Prints `run --rm busybox true` latency (p50, p95) through the docker CLI and through the berth CLI,
 * the time to start N detached containers, daemon RSS idle and loaded, and memory per running container
 * (conmon RSS and PSS). Where Docker's engine runs (--docker-host, default /var/run/docker.sock, answers),
 * the same figures are taken from it in the same run, interleaved, and the ratio is printed. That engine
 * needs a `busybox` image with `sleep` (e.g. `docker import -c 'CMD ["sh"]' rootfs.tar busybox`).
 */
import { readFileSync, existsSync } from 'node:fs';
import { TestDaemon, runCmd } from '../test/harness.js';
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

async function latency(e: Engine, net: string[]): Promise<number[]> {
  const xs: number[] = [];
  await e.docker(['run', '--rm', ...net, 'busybox', 'true']); // warm
  for (let i = 0; i < RUNS; i++) {
    xs.push(await time(async () => {
      const r = await e.docker(['run', '--rm', ...net, 'busybox', 'true']);
      if (r.code !== 0) throw new Error(`${e.name}: ${r.stderr}`);
    }));
  }
  return xs;
}

async function startMany(e: Engine): Promise<{ ms: number; ids: string[] }> {
  const ids: string[] = [];
  const ms = await time(async () => {
    for (let i = 0; i < CONTAINERS; i++) {
      const r = await e.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '600']);
      if (r.code !== 0) throw new Error(r.stderr);
      ids.push(r.stdout.trim());
    }
  });
  return { ms, ids };
}

async function main(): Promise<void> {
  const d = await TestDaemon.create();
  try {
    await d.importBusybox();
    const berthEngine: Engine = { name: 'berth', docker: (a) => d.docker(a) };
    const dockerUp = existsSync(DOCKER_HOST.replace(/^unix:\/\//, '')) && (await runCmd('/usr/local/bin/docker', ['-H', DOCKER_HOST, 'version'])).code === 0;
    const dockerEngine: Engine | undefined = dockerUp ? { name: 'docker', docker: (a) => runCmd('/usr/local/bin/docker', ['-H', DOCKER_HOST, ...a]) } : undefined;
    const daemonPid = d.proc!.pid!;
    const idle = memOf(daemonPid);
    console.log(`berthd idle RSS: ${idle.rss.toFixed(1)} MB`);

    const lat = await latency(berthEngine, ['--network', 'none']);
    console.log(`run --rm --network none busybox true (docker CLI -> berthd, ${RUNS} runs): p50 ${pct(lat, 50).toFixed(0)} ms, p95 ${pct(lat, 95).toFixed(0)} ms`);
    const own: number[] = [];
    for (let i = 0; i < RUNS; i++) own.push(await time(() => d.berth(['run', '--rm', '--network', 'none', 'busybox', 'true'])));
    console.log(`run --rm --network none busybox true (berth CLI -> berthd): p50 ${pct(own, 50).toFixed(0)} ms, p95 ${pct(own, 95).toFixed(0)} ms`);
    if (dockerEngine) {
      const dl = await latency(dockerEngine, ['--network', 'none']);
      console.log(`  docker engine: p50 ${pct(dl, 50).toFixed(0)} ms (berth/docker ratio ${(pct(lat, 50) / pct(dl, 50)).toFixed(2)})`);
    } else {
      console.log('  (no Docker engine on this machine: no side-by-side figures)');
    }

    const many = await startMany(berthEngine);
    console.log(`${CONTAINERS} sequential run -d: ${(many.ms / 1000).toFixed(2)} s`);
    const loaded = memOf(daemonPid);
    const conmons = (await runCmd('pgrep', ['-f', `conmon.*${d.execRoot}`])).stdout.split('\n').filter(Boolean).map(Number);
    const mon = conmons.map(memOf);
    const avg = (k: 'rss' | 'pss') => mon.reduce((s, m) => s + m[k], 0) / Math.max(1, mon.length);
    console.log(`berthd RSS with ${CONTAINERS} running: ${loaded.rss.toFixed(1)} MB`);
    console.log(`per running container: conmon RSS ${avg('rss').toFixed(2)} MB, PSS ${avg('pss').toFixed(2)} MB (${mon.length} monitors); daemon share ${((loaded.rss - idle.rss) / CONTAINERS).toFixed(2)} MB`);
    if (dockerEngine) {
      const dm = await startMany(dockerEngine);
      console.log(`  docker engine: ${CONTAINERS} run -d in ${(dm.ms / 1000).toFixed(2)} s (ratio ${(many.ms / dm.ms).toFixed(2)})`);
      await dockerEngine.docker(['rm', '-f', ...dm.ids]);
    }
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
