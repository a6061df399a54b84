/**
 * `docker import` timings, run by hand as root after `npm run build`:
 *   node dist/bench/import.js [--reps N (3)] [--files N (30000)] [--depth N (1200)] [--docker-host URL]
 * Times the import of a tar of N small files (in directories of 100) and of a tar whose one path is
 * --depth directories deep, through the docker CLI, against a fresh berthd and (with --docker-host, e.g.
 * an engine from bench/private-docker.sh) against Docker, alternating, and prints the medians.
 */
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { TestDaemon, runCmd } from '../test/harness.js';
import { writeDeepTar, writeManyFilesTar } from '../test/importtars.js';
import { numOpt, opt, usage } from './args.js';

usage('node dist/bench/import.js [--reps N (3)] [--files N (30000)] [--depth N (1200)] [--docker-host URL]');
const REPS = numOpt('--reps', 3);
const FILES = numOpt('--files', 30000);
const DEPTH = numOpt('--depth', 1200);
const DOCKER_HOST = opt('--docker-host');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeImport(host: string, tarFile: string, tag: string): Promise<number> {
  const env = { ...process.env, DOCKER_HOST: host };
  const t = process.hrtime.bigint();
  const r = await runCmd('/usr/local/bin/docker', ['import', tarFile, tag], { env, timeout: 600_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.code !== 0) throw new Error(`docker import on ${host}: ${r.stderr}`);
  await runCmd('/usr/local/bin/docker', ['rmi', tag], { env });
  return ms;
}

const d = await TestDaemon.create();
try {
  const many = path.join(d.dir, 'many.tar');
  const deep = path.join(d.dir, 'deep.tar');
  await writeManyFilesTar(many, Math.ceil(FILES / 100), 100);
  await writeDeepTar(deep, DEPTH);
  for (const [label, file] of [[`${FILES} small files`, many], [`one path ${DEPTH} deep`, deep]] as const) {
    const berth: number[] = [];
    const docker: number[] = [];
    for (let i = 0; i < REPS; i++) {
      berth.push(await timeImport(d.host, file, `bench-import:${i}`));
      if (DOCKER_HOST) docker.push(await timeImport(DOCKER_HOST, file, `bench-import:${i}`));
    }
    const b = median(berth);
    const line = `import, ${label} (${((await fsp.stat(file)).size / 1e6).toFixed(1)} MB): berth ${(b / 1000).toFixed(2)} s`;
    console.log(DOCKER_HOST ? `${line}, docker ${(median(docker) / 1000).toFixed(2)} s (berth/docker ${(b / median(docker)).toFixed(2)})` : line);
  }
} finally {
  await d.stop();
}
