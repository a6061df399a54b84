import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyResult, checkHealthConfig, goDuration, HealthMonitor, initialHealth, nextDelay, probeOf, type Probe } from './health.js';
import type { HealthState } from '../api/types.js';

const ms = 1_000_000;

test('create checks: Docker texts for durations under 1ms and negative retries', () => {
  assert.equal(checkHealthConfig({ Test: ['CMD', 'true'], Interval: 2000 * ms, Retries: 0 }), undefined);
  assert.equal(checkHealthConfig(undefined), undefined);
  assert.match(checkHealthConfig({ Interval: 10 })!.message, /^Interval in Healthcheck cannot be less than 1ms$/);
  assert.match(checkHealthConfig({ Timeout: 999 })!.message, /^Timeout in Healthcheck/);
  assert.match(checkHealthConfig({ StartPeriod: 1 })!.message, /^StartPeriod in Healthcheck/);
  assert.match(checkHealthConfig({ StartInterval: 1 })!.message, /^StartInterval in Healthcheck/);
  assert.match(checkHealthConfig({ Retries: -1 })!.message, /^Retries in Healthcheck cannot be negative$/);
});

test('probe: CMD, CMD-SHELL through the Shell, NONE and empty tests; Docker defaults', () => {
  assert.equal(probeOf({}), undefined);
  assert.equal(probeOf({ Healthcheck: { Test: ['NONE'] } }), undefined);
  assert.equal(probeOf({ Healthcheck: { Test: ['CMD'] } }), undefined);
  const p = probeOf({ Healthcheck: { Test: ['CMD-SHELL', 'wget -qO- localhost'] } })!;
  assert.deepEqual(p.cmd, ['/bin/sh', '-c', 'wget -qO- localhost']);
  assert.deepEqual([p.intervalMs, p.timeoutMs, p.startPeriodMs, p.startIntervalMs, p.retries], [30000, 30000, 0, 5000, 3]);
  assert.deepEqual(probeOf({ Healthcheck: { Test: ['CMD-SHELL', 'x'] }, Shell: ['/bin/ash', '-e', '-c'] })!.cmd, ['/bin/ash', '-e', '-c', 'x']);
  const q = probeOf({ Healthcheck: { Test: ['CMD', 'test', '-f', '/ok'], Interval: 200 * ms, Timeout: 1500 * ms, Retries: 2, StartPeriod: 5000 * ms, StartInterval: 100 * ms } })!;
  assert.deepEqual(q, { cmd: ['test', '-f', '/ok'], intervalMs: 200, timeoutMs: 1500, startPeriodMs: 5000, startIntervalMs: 100, retries: 2 });
});

const probe: Probe = { cmd: ['x'], intervalMs: 1000, timeoutMs: 1000, startPeriodMs: 3000, startIntervalMs: 100, retries: 3 };
const result = (exitCode: number, output = '') => ({ start: new Date(0), end: new Date(1), exitCode, output });

test('transitions: streaks, retries, the start period, the log of five', () => {
  let h: HealthState = initialHealth();
  // failures inside the start period do not count while starting
  h = applyResult(probe, h, result(1), 500);
  assert.deepEqual([h.Status, h.FailingStreak, h.Log.length], ['starting', 0, 1]);
  // after it they do, and the third makes it unhealthy
  h = applyResult(probe, h, result(1), 3500);
  h = applyResult(probe, h, result(1), 4500);
  assert.deepEqual([h.Status, h.FailingStreak], ['starting', 2]);
  h = applyResult(probe, h, result(2), 5500);
  assert.deepEqual([h.Status, h.FailingStreak], ['unhealthy', 3]);
  h = applyResult(probe, h, result(0, 'ok\n'), 6500);
  assert.deepEqual([h.Status, h.FailingStreak], ['healthy', 0]);
  assert.equal(h.Log.length, 5);
  assert.equal(h.Log.at(-1)!.Output, 'ok\n');
  h = applyResult(probe, h, result(1, 'x'.repeat(10000)), 7500);
  assert.equal(h.Log.length, 5, 'only the last five are kept');
  assert.equal(h.Log.at(-1)!.Output.length, 4096);
  // a healthy container that fails inside the start period counts the failure (it is not starting)
  assert.equal(applyResult(probe, { Status: 'healthy', FailingStreak: 0, Log: [] }, result(1), 10).FailingStreak, 1);
});

test('delays: StartInterval while starting inside the start period, Interval otherwise', () => {
  assert.equal(nextDelay(probe, initialHealth(), 0), 100);
  assert.equal(nextDelay(probe, { Status: 'healthy', FailingStreak: 0, Log: [] }, 0), 1000);
  assert.equal(nextDelay(probe, initialHealth(), 3000), 1000);
});

test('Go durations as in the timeout message', () => {
  assert.equal(goDuration(30000), '30s');
  assert.equal(goDuration(300), '300ms');
  assert.equal(goDuration(1500), '1.5s');
  assert.equal(goDuration(90000), '1m30s');
  assert.equal(goDuration(3_600_000), '1h0m0s');
});

test('monitor: probes on schedule, records, reports changes, stops on unwatch', async () => {
  let health: HealthState | undefined = initialHealth();
  const changes: string[] = [];
  let codes = [1, 0, 0, 1];
  let runs = 0;
  const m = new HealthMonitor({
    exec: async () => { runs++; return { exitCode: codes.shift() ?? 0, output: '' }; },
    status: () => ({ status: 'running', startedAt: Date.now() - 10_000 }),
    record: async (_id, h) => { const before = health?.Status; health = h; return before; },
    changed: (_id, s) => changes.push(s),
    current: () => health,
  });
  m.watch('c', { ...probe, intervalMs: 10, startPeriodMs: 0, retries: 1 });
  const deadline = Date.now() + 3000;
  while (runs < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  m.unwatch('c');
  assert.deepEqual(changes.slice(0, 3), ['unhealthy', 'healthy', 'unhealthy']);
  const n = runs;
  codes = [];
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(runs <= n + 1, 'no probes after unwatch');
});
