/**
 * Compose benchmark, run by hand as root after `npm run build`:
 *   node dist/bench/compose.js [--runs N (3)] [--services N (20)] [--big N (200)] [--no-v1] [--started] [--other CLI]
 * On one berthd, in interleaved rounds: `up -d` of an N-service project (one network, named volumes, a
 * depends_on chain of 3 with healthchecks), `up -d` again with nothing changed, and `down`, each through
 * `berth compose` and through docker-compose 1.29.2; then `up -d` and `down` of a --big project once each.
 * Medians in milliseconds, wall clock, including each CLI's own start-up. `--started`: the same project
 * with its chain on `service_started` (no health waits), which measures the tools rather than the chain.
 * `--other CLI`: another build's berth CLI (e.g. /work/main/dist/bundle/cli/berth.cjs) in the same rounds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { BERTH_CLI, TestDaemon } from '../test/harness.js';
import { numOpt, opt, usage } from './args.js';
import { projectYaml } from './compose-project.js';

usage('node dist/bench/compose.js [--runs N (3)] [--services N (20)] [--big N (200)] [--no-v1] [--started] [--other CLI]');
const RUNS = numOpt('--runs', 3);
const SERVICES = numOpt('--services', 20);
const BIG = numOpt('--big', 200);
const V1 = !process.argv.includes('--no-v1');
const CONDITION = process.argv.includes('--started') ? 'service_started' : 'service_healthy';
const OTHER = opt('--other');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, cwd, timeout: 900000, maxBuffer: 64 << 20 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr}`));
      else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const d = await TestDaemon.create();
  const dir = mkdtempSync('/tmp/bt-bench-compose-');
  // stopped early: still remove the daemon and what it made
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      d.stop().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
  try {
    await d.importBusybox();
    writeFileSync(`${dir}/compose.yaml`, projectYaml(SERVICES, CONDITION));
    writeFileSync(`${dir}/big.yaml`, projectYaml(BIG, CONDITION));
    const env = { ...process.env, DOCKER_HOST: d.host, BERTH_HOST: d.host };
    const tools: Record<string, (file: string, p: string, args: string[]) => Promise<number>> = {
      berth: (file, p, args) => run(process.execPath, [BERTH_CLI, 'compose', '-f', file, '-p', p, ...args], env, dir),
      other: (file, p, args) => run(process.execPath, [OTHER!, 'compose', '-f', file, '-p', p, ...args], env, dir),
      v1: (file, p, args) => run('/usr/bin/docker-compose', ['-f', file, '-p', p, ...args], env, dir),
    };
    const names = ['berth', ...(OTHER ? ['other'] : []), ...(V1 ? ['v1'] : [])];
    const times: Record<string, Record<string, number[]>> = {};
    for (const n of names) times[n] = { up: [], again: [], down: [] };
    for (let r = 0; r < RUNS; r++) {
      for (const n of names) {
        const p = `bench${n}`;
        times[n]!.up!.push(await tools[n]!('compose.yaml', p, ['up', '-d']));
        times[n]!.again!.push(await tools[n]!('compose.yaml', p, ['up', '-d']));
        times[n]!.down!.push(await tools[n]!('compose.yaml', p, ['down', '-v', '-t', '1']));
      }
    }
    console.log(`${SERVICES}-service project, chain on ${CONDITION}, ${RUNS} interleaved rounds, medians (ms):`);
    console.log('tool    up -d    up -d again    down');
    for (const n of names) {
      const t = times[n]!;
      console.log(`${n.padEnd(7)} ${median(t.up!).toFixed(0).padStart(6)} ${median(t.again!).toFixed(0).padStart(14)} ${median(t.down!).toFixed(0).padStart(7)}`);
    }
    if (V1) console.log(`berth/v1 up -d: ${(median(times.berth!.up!) / median(times.v1!.up!)).toFixed(2)}x`);
    for (const n of names) {
      const up = await tools[n]!('big.yaml', `big${n}`, ['up', '-d']);
      const down = await tools[n]!('big.yaml', `big${n}`, ['down', '-v', '-t', '1']);
      console.log(`${BIG} services, ${n}: up -d ${up.toFixed(0)} ms, down ${down.toFixed(0)} ms`);
    }
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
