/**
 * Image build benchmark, run by hand as root after `npm run build`:
 *   node dist/bench/build.js [--reps N (3)] [--files N (2000)] [--upload-mb N (500)] [--docker-host URL]
 * Builds one Dockerfile (3 stages, 20 steps: a COPY of an N-file context, RUN steps that write files, and
 * one stage the target does not need) with Berth and with Docker's classic builder (`DOCKER_BUILDKIT=0
 * docker build`, the engine of bench/private-docker.sh or any --docker-host), interleaved: per repetition
 * and engine a cold build (--no-cache), a rebuild with nothing changed, and a rebuild after one source file
 * changed. Berth is measured twice: through the docker CLI (the whole context each time, as for any
 * client) and through `berth build` (which sends only what changed since its last build of the directory:
 * client/buildcontext.ts). Then the daemon's peak RSS while a context of --upload-mb MB is uploaded
 * (sampled every 20 ms). Also the docker CLI's own floor: the same `docker build` against a server that
 * discards the context. Prints medians and the ratios to Docker.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import os from 'node:os';
import { BERTH_CLI, TestDaemon, runCmd } from '../test/harness.js';
import { numOpt, opt, usage } from './args.js';

usage('node dist/bench/build.js [--reps N (3)] [--files N (2000)] [--upload-mb N (500)] [--docker-host URL]');
const REPS = numOpt('--reps', 3);
const FILES = numOpt('--files', 2000);
const UPLOAD_MB = numOpt('--upload-mb', 500);
const DOCKER_HOST = opt('--docker-host') ?? 'unix:///tmp/bt-dockerd/docker.sock';

const DOCKERFILE = `FROM busybox AS tools
RUN mkdir -p /tools && for i in $(seq 1 200); do echo tool$i > /tools/t$i; done
RUN echo tools-ready > /tools/ready
ENV TOOLS=/tools
FROM busybox AS unused
RUN for i in $(seq 1 50); do echo $i > /u$i; done
RUN sleep 2
FROM busybox
ARG VERSION=1
LABEL version=$VERSION
ENV APP=/app
WORKDIR /app
COPY --from=tools /tools /tools
COPY src/ ./src/
RUN find /app/src -type f | wc -l > /app/count
RUN for i in $(seq 1 100); do echo $i > /app/gen$i; done
RUN cat /app/count
EXPOSE 8080
USER nobody
CMD ["sh"]
`;

/**
 * The docker CLI's floor: a server that answers /_ping, reads POST /build's context to the end and throws
 * it away, then answers with an image id. What `docker build` costs with no engine behind it.
 */
async function nullEngine(sock: string): Promise<http.Server> {
  const srv = http.createServer((req, res) => {
    if (req.url?.includes('/_ping')) {
      res.writeHead(200, { 'Api-Version': '1.47', 'Content-Type': 'text/plain' });
      res.end('OK');
      return;
    }
    if (req.method !== 'POST' || !req.url?.includes('/build')) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"message":"page not found"}');
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify({ aux: { ID: `sha256:${'0'.repeat(64)}` } })}\n${JSON.stringify({ stream: `sha256:${'0'.repeat(64)}\n` })}\n`);
    });
  });
  await new Promise<void>((resolve) => srv.listen(sock, resolve));
  srv.unref(); // never what keeps the bench running after an error
  return srv;
}

interface Engine {
  name: string;
  host: string;
  pid(): number;
  /** the client: the docker CLI (default) or berth's */
  berth?: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function dockerBuild(e: Engine, args: string[]): Promise<number> {
  const t = process.hrtime.bigint();
  const { NODE_EXTRA_CA_CERTS: _unused, ...env } = process.env; // as bin/berth runs it
  const r = e.berth
    ? await runCmd(process.execPath, [BERTH_CLI, '-H', e.host, 'build', '-q', ...args], { env, timeout: 900000 })
    : await runCmd('docker', ['-H', e.host, 'build', '-q', ...args], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeout: 900000 });
  if (r.code !== 0) throw new Error(`${e.name}: build ${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function rssMb(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function peakRss(e: Engine, ctx: string): Promise<{ before: number; peak: number }> {
  const pid = e.pid();
  const before = rssMb(pid);
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, rssMb(pid)); }, 20);
  try {
    await dockerBuild(e, ['--no-cache', ctx]);
  } finally {
    clearInterval(timer);
  }
  return { before, peak };
}

async function main(): Promise<void> {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-bench-build-'));
  const berth = await TestDaemon.create();
  try {
    await berth.importBusybox();
    const ctx = path.join(work, 'ctx');
    for (let i = 0; i < FILES; i++) {
      const dir = path.join(ctx, 'src', `d${i % 40}`);
      await fsp.mkdir(dir, { recursive: true });
      await fsp.writeFile(path.join(dir, `f${i}.txt`), `file ${i}\n`.repeat(20));
    }
    await fsp.writeFile(path.join(ctx, 'Dockerfile'), DOCKERFILE);
    const engines: Engine[] = [
      { name: 'berth', host: berth.host, pid: () => berth.proc!.pid! },
      { name: 'berth build', host: berth.host, pid: () => berth.proc!.pid!, berth: true },
    ];
    const v = await runCmd('docker', ['-H', DOCKER_HOST, 'version', '-f', '{{.Server.Version}}']);
    if (v.code === 0) {
      const pidFile = DOCKER_HOST.includes('/tmp/bt-dockerd/') ? '/tmp/bt-dockerd/docker.pid' : '/var/run/docker.pid';
      engines.push({ name: `docker ${v.stdout.trim()}`, host: DOCKER_HOST, pid: () => Number(readFileSync(pidFile, 'utf8')) });
    } else {
      console.log(`no Docker engine at ${DOCKER_HOST}: run \`bash bench/private-docker.sh start\` for one (Berth's figures only)`);
    }
    const changed = path.join(ctx, 'src', 'd7', 'f7.txt');
    const times = engines.map(() => ({ cold: [] as number[], warm: [] as number[], changed: [] as number[] }));
    const nullSock = path.join(work, 'null.sock');
    const nullSrv = await nullEngine(nullSock);
    const floor: number[] = [];
    for (const e of engines) await dockerBuild(e, ['-t', 'bench-build:warmup', ctx]); // base image layers, caches
    await new Promise((resolve) => setTimeout(resolve, 2100)); // the context settles: berth build's stamps (client/buildcontext.ts)
    await dockerBuild(engines[1]!, ['-t', 'bench-build:warmup', ctx]);
    for (let rep = 0; rep < REPS; rep++) {
      for (const [i, e] of engines.entries()) {
        times[i]!.cold.push(await dockerBuild(e, ['--no-cache', '-t', 'bench-build:1', ctx]));
        times[i]!.warm.push(await dockerBuild(e, ['-t', 'bench-build:1', ctx]));
        if (i === 0) floor.push(await dockerBuild({ name: 'null', host: `unix://${nullSock}`, pid: () => 0 }, [ctx]));
        await fsp.writeFile(changed, `changed ${rep} ${Date.now()}\n`);
        times[i]!.changed.push(await dockerBuild(e, ['-t', 'bench-build:1', ctx]));
      }
    }
    console.log(`build of ${FILES} files, 3 stages, 20 steps; median of ${REPS} (ms)`);
    const row = (label: string, k: 'cold' | 'warm' | 'changed') => {
      const m = times.map((t) => median(t[k]));
      const docker = m[2];
      const ratio = docker ? `   berth/docker ${(m[0]! / docker).toFixed(2)}x, berth build/docker ${(m[1]! / docker).toFixed(2)}x` : '';
      console.log(`  ${label.padEnd(34)} ${engines.map((e, i) => `${e.name} ${m[i]!.toFixed(0)}`).join('   ')}${ratio}`);
    };
    row('cold build (--no-cache)', 'cold');
    row('rebuild, nothing changed', 'warm');
    row('rebuild, one source file changed', 'changed');
    const f = median(floor);
    const docker = engines.length > 2 ? median(times[2]!.warm) : 0;
    console.log(`  ${'docker CLI alone (context discarded)'.padEnd(34)} ${f.toFixed(0)}${docker ? `   /docker's rebuild ${(f / docker).toFixed(2)}x` : ''}`);
    nullSrv.close();

    const big = path.join(work, 'big');
    await fsp.mkdir(big);
    await fsp.writeFile(path.join(big, 'Dockerfile'), 'FROM busybox\nRUN true\n');
    await runCmd('dd', ['if=/dev/urandom', `of=${path.join(big, 'blob')}`, 'bs=1M', `count=${UPLOAD_MB}`], { timeout: 600000 });
    console.log(`daemon RSS while a ${UPLOAD_MB} MB context is uploaded and built (MB)`);
    for (const e of engines.filter((x) => !x.berth)) {
      const r = await peakRss(e, big);
      console.log(`  ${e.name.padEnd(20)} before ${r.before.toFixed(0)}   peak ${r.peak.toFixed(0)}`);
    }
    for (const e of engines.slice(2)) await runCmd('docker', ['-H', e.host, 'rmi', '-f', 'bench-build:1', 'bench-build:warmup']);
  } finally {
    await berth.stop();
    await fsp.rm(work, { recursive: true, force: true });
  }
}

await main();
