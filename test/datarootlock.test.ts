/**
 * Many berthd started at the same moment on one fresh data root: exactly one serves it, every other one
 * exits with a clear error, before it creates anything (its API socket included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp, existsSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { cleanupDir } from './harness.js';
import { DAEMON_ENV, DAEMON_NODE_FLAGS } from '../src/daemon/config.js';

const OUT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BERTHD = path.join(OUT, 'bundle/daemon/berthd.js');
const RACERS = 6;
const ROUNDS = 3;

function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: sock, path: '/_ping' }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.end();
  });
}

test(`${RACERS} daemons racing for one fresh data root: exactly one serves (${ROUNDS} rounds)`, { timeout: 240_000 }, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const dir = await fsp.mkdtemp('/tmp/bt-');
    const bridge = `btb${path.basename(dir).slice(3).replace(/[^a-zA-Z0-9]/g, 'x')}`;
    await fsp.writeFile(path.join(dir, 'daemon.json'), JSON.stringify({ 'default-address-pools': [{ base: '10.213.0.0/16', size: 24 }], dns: ['127.0.0.154'] }));
    const procs: { proc: ChildProcess; sock: string; log: string; code?: number | null }[] = [];
    try {
      for (let i = 0; i < RACERS; i++) {
        const sock = path.join(dir, `s${i}.sock`);
        const proc = spawn(process.execPath, [...DAEMON_NODE_FLAGS, BERTHD, '-H', `unix://${sock}`, '--data-root', path.join(dir, 'data'),
          '--exec-root', path.join(dir, 'exec'), '--bridge', bridge, '--pidfile', path.join(dir, `p${i}.pid`),
          '--config-file', path.join(dir, 'daemon.json'), '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...DAEMON_ENV } });
        const p = { proc, sock, log: '' as string, code: undefined as number | null | undefined };
        proc.stderr!.on('data', (d: Buffer) => { p.log += d.toString(); });
        proc.on('exit', (c) => { p.code = c; });
        procs.push(p);
      }
      // every loser exits; the winner comes up
      const deadline = Date.now() + 60_000;
      let serving: typeof procs = [];
      while (Date.now() < deadline) {
        serving = [];
        for (const p of procs) if (p.code === undefined && await ping(p.sock)) serving.push(p);
        const exited = procs.filter((p) => p.code !== undefined).length;
        if (serving.length + exited === RACERS) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(serving.length, 1, `round ${round}: ${serving.length} daemons serve: ${procs.map((p) => p.log).join('\n')}`);
      for (const p of procs) {
        if (p === serving[0]) continue;
        assert.equal(p.code, 1, `a loser exits 1: ${p.log}`);
        assert.match(p.log, /berthd: another berthd \(pid \d+\) is using the data root /);
        assert.ok(!existsSync(p.sock), 'a loser creates no socket');
        assert.ok(!existsSync(path.join(dir, `p${procs.indexOf(p)}.pid`)), 'a loser writes no pidfile');
      }
      // the winner still serves after the losers gave up
      assert.ok(await ping(serving[0].sock));
      const winnerPid = serving[0].proc.pid;
      assert.equal((await fsp.readFile(path.join(dir, 'data', 'berthd.lock'), 'utf8')).split('\n')[0], String(winnerPid));
    } finally {
      for (const p of procs) {
        if (p.proc.exitCode === null && p.proc.signalCode === null) {
          p.proc.kill('SIGTERM');
          await once(p.proc, 'exit');
        }
      }
      await cleanupDir(dir, path.join(dir, 'exec'));
    }
  }
});
