/**
 * Where one `compose up -d` spends its time, run by hand as root after `npm run build`:
 *   node dist/bench/compose-trace.js [--services N (20)] [--rounds N (1)] [--no-v1] [--again] [--started] [--down]
 * A fresh berthd behind a logging proxy (a unix socket that forwards every request and notes when it came,
 * when its answer's head and end went back); then `berth compose up -d` (and docker-compose 1.29.2's) of
 * bench/compose-project.ts's project through it. Prints, from the CLI's spawn: each API call (start, head,
 * end, ms), each progress line of the CLI, and per healthy-chain container the daemon's own times (created,
 * started, each probe's start and end). `--again` also traces the no-op `up -d`; `--started` puts the
 * chain on service_started.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { BERTH_CLI, TestDaemon } from '../test/harness.js';
import { numOpt, usage } from './args.js';
import { projectYaml } from './compose-project.js';

usage('node dist/bench/compose-trace.js [--services N (20)] [--rounds N (1)] [--no-v1] [--again] [--started] [--down]');
const SERVICES = numOpt('--services', 20);
const ROUNDS = numOpt('--rounds', 1);
const V1 = !process.argv.includes('--no-v1');
const AGAIN = process.argv.includes('--again');
const CONDITION = process.argv.includes('--started') ? 'service_started' : 'service_healthy';

interface Call { method: string; url: string; start: number; head?: number; end?: number; status?: number }

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** A proxy in front of the daemon's socket that notes every call. */
function proxy(target: string, sock: string): Promise<{ calls: Call[]; close: () => void }> {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const call: Call = { method: req.method ?? '', url: req.url ?? '', start: now() };
    calls.push(call);
    const out = http.request({ socketPath: target, method: req.method, path: req.url, headers: req.headers }, (up) => {
      call.head = now();
      call.status = up.statusCode;
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('end', () => { call.end = now(); });
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
    res.on('close', () => { call.end ??= now(); });
  });
  server.keepAliveTimeout = 0;
  return new Promise((resolve) => server.listen(sock, () => resolve({ calls, close: () => { server.closeAllConnections(); server.close(); } })));
}

function runTraced(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ t0: number; total: number; lines: { t: number; text: string }[] }> {
  const t0 = now();
  const lines: { t: number; text: string }[] = [];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const take = (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push({ t: now() - t0, text: buf.slice(0, i).trim() });
        buf = buf.slice(i + 1);
      }
    };
    p.stdout.on('data', take);
    p.stderr.on('data', take);
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ t0, total: now() - t0, lines }) : reject(new Error(`${cmd} exit ${code}: ${lines.map((l) => l.text).join('\n')}`))));
  });
}

const shortUrl = (u: string) => u.replace(/^\/v1\.\d+/, '').replace(/[0-9a-f]{64}/g, (m) => m.slice(0, 8)).slice(0, 90);

async function daemonTimes(d: TestDaemon, project: string, t0: number): Promise<string[]> {
  const out: string[] = [];
  const res = await d.berth(['inspect', `${project}-s0-1`, `${project}-s1-1`, `${project}-s2-1`]);
  const wall = Date.now() - (now() - t0); // the wall-clock time of the spawn
  const rel = (iso: string) => (Date.parse(iso) - wall).toFixed(0).padStart(6);
  for (const c of JSON.parse(res.stdout) as { Name: string; Created: string; State: { StartedAt: string; Health?: { Log: { Start: string; End: string }[] } } }[]) {
    const probes = (c.State.Health?.Log ?? []).slice(0, 3).map((l) => `probe ${rel(l.Start)}-${rel(l.End)}`).join(', ');
    out.push(`${c.Name.padEnd(22)} created ${rel(c.Created)}  started ${rel(c.State.StartedAt)}  ${probes}`);
  }
  return out;
}

async function main(): Promise<void> {
  const d = await TestDaemon.create();
  const dir = mkdtempSync('/tmp/bt-bench-ctrace-');
  const sock = `${dir}/proxy.sock`;
  const px = await proxy(d.socket, sock);
  try {
    await d.importBusybox();
    writeFileSync(`${dir}/compose.yaml`, projectYaml(SERVICES, CONDITION));
    const { NODE_EXTRA_CA_CERTS: _unused, ...base } = process.env;
    const env = { ...base, DOCKER_HOST: `unix://${sock}`, BERTH_HOST: `unix://${sock}` };
    const tools = {
      berth: (p: string, args: string[]) => runTraced(process.execPath, [BERTH_CLI, 'compose', '-p', p, ...args], env, dir),
      v1: (p: string, args: string[]) => runTraced('/usr/bin/docker-compose', ['-p', p, ...args], env, dir),
    };
    for (let r = 0; r < ROUNDS; r++) {
      for (const n of V1 ? (['berth', 'v1'] as const) : (['berth'] as const)) {
        const p = `trace${n}`;
        for (const what of AGAIN ? ['up', 'again'] : ['up']) {
          px.calls.length = 0;
          const run = await tools[n](p, ['up', '-d']);
          console.log(`\n== ${n} ${what === 'up' ? 'up -d' : 'up -d (nothing changed)'}: ${run.total.toFixed(0)} ms (load ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')})`);
          const events = [
            ...px.calls.map((c) => ({ t: c.start - run.t0, text: `${c.method.padEnd(6)} ${shortUrl(c.url).padEnd(60)} ${c.status ?? '-'} head +${((c.head ?? c.start) - c.start).toFixed(0)} end +${((c.end ?? c.start) - c.start).toFixed(0)} ms` })),
            ...run.lines.map((l) => ({ t: l.t, text: `  | ${l.text}` })),
          ].sort((a, b) => a.t - b.t);
          for (const e of events) console.log(`${e.t.toFixed(0).padStart(6)}  ${e.text}`);
          if (what === 'up') for (const l of await daemonTimes(d, p, run.t0)) console.log(l);
        }
        px.calls.length = 0;
        const down = await tools[n](p, ['down', '-v', '-t', '1']);
        console.log(`\n== ${n} down -v -t 1: ${down.total.toFixed(0)} ms`);
        if (process.argv.includes('--down')) for (const c of px.calls) console.log(`${(c.start - down.t0).toFixed(0).padStart(6)}  ${c.method.padEnd(6)} ${shortUrl(c.url).padEnd(60)} ${c.status ?? '-'} end +${((c.end ?? c.start) - c.start).toFixed(0)} ms`);
      }
    }
  } finally {
    px.close();
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
