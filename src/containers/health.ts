/**
 * Health checks, as Docker runs them: a probe (an exec in the container) every Interval, or every
 * StartInterval while the container is still "starting" within its StartPeriod; the first probe runs one
 * interval after the start.
 *
 *   start -> starting --(probe exits 0)--> healthy --(Retries failures in a row)--> unhealthy
 *                      \--(Retries failures in a row, not counting those inside StartPeriod)--> unhealthy
 *   stop/exit -> unhealthy (Docker's monitor says so when it stops)
 *
 * The last five results are kept in State.Health.Log, each output cut at 4096 bytes; a change of status
 * is a `health_status: <status>` event. The rules are pure functions here; HealthMonitor keeps the timers.
 */
import type { ContainerConfig, HealthConfig, HealthState } from '../api/types.js';
import { invalidArgument, type BerthError } from '../core/errors.js';
export { goDuration } from '../core/duration.js';

const NS_PER_MS = 1_000_000;
export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_RETRIES = 3;
export const MAX_LOG_ENTRIES = 5;
export const MAX_OUTPUT_LEN = 4096;

/** Docker's checks of a Healthcheck at create, with its texts (durations are nanoseconds). */
export function checkHealthConfig(h: HealthConfig | null | undefined): BerthError | undefined {
  if (!h) return undefined;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const v = h[k];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v))) return invalidArgument(`json: cannot unmarshal ${typeof v} into Go struct field HealthConfig.Healthcheck.${k} of type time.Duration`);
    if (v && v < NS_PER_MS) return invalidArgument(`${k} in Healthcheck cannot be less than 1ms`);
  }
  if (h.Retries !== undefined && h.Retries !== null && h.Retries < 0) return invalidArgument('Retries in Healthcheck cannot be negative');
  if (h.Test !== undefined && h.Test !== null && (!Array.isArray(h.Test) || !h.Test.every((t) => typeof t === 'string'))) {
    return invalidArgument('json: cannot unmarshal into Go struct field HealthConfig.Healthcheck.Test of type []string');
  }
  return undefined;
}

export interface Probe {
  cmd: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

/** The probe of a container's effective config, or undefined when it has none (no test, or NONE). */
export function probeOf(config: Pick<ContainerConfig, 'Healthcheck' | 'Shell'>): Probe | undefined {
  const h = config.Healthcheck;
  const test = h?.Test ?? [];
  if (test.length === 0 || test[0] === 'NONE') return undefined;
  let cmd: string[];
  if (test[0] === 'CMD') cmd = test.slice(1);
  else if (test[0] === 'CMD-SHELL') cmd = [...(config.Shell?.length ? config.Shell : ['/bin/sh', '-c']), test.slice(1).join(' ')];
  else return undefined;
  if (cmd.length === 0) return undefined;
  const ms = (ns: number | undefined, dflt: number) => (ns && ns > 0 ? ns / NS_PER_MS : dflt);
  return {
    cmd,
    intervalMs: ms(h?.Interval, DEFAULT_INTERVAL_MS),
    timeoutMs: ms(h?.Timeout, DEFAULT_TIMEOUT_MS),
    startPeriodMs: ms(h?.StartPeriod, 0),
    startIntervalMs: ms(h?.StartInterval, DEFAULT_START_INTERVAL_MS),
    retries: h?.Retries && h.Retries > 0 ? h.Retries : DEFAULT_RETRIES,
  };
}

export function initialHealth(): HealthState {
  return { Status: 'starting', FailingStreak: 0, Log: [] };
}

/** The wait before the next probe: StartInterval while starting inside the start period. */
export function nextDelay(p: Probe, health: HealthState | undefined, sinceStartMs: number): number {
  if (sinceStartMs >= p.startPeriodMs) return p.intervalMs;
  return health?.Status === 'starting' ? p.startIntervalMs : p.intervalMs;
}

export interface ProbeResult {
  start: Date;
  end: Date;
  exitCode: number;
  output: string;
}

/** The health after one probe result (a new object); `sinceStartMs` is from the container's start to the probe's. */
export function applyResult(p: Probe, h: HealthState, r: ProbeResult, sinceStartMs: number): HealthState {
  const output = Buffer.byteLength(r.output) > MAX_OUTPUT_LEN ? Buffer.from(r.output).subarray(0, MAX_OUTPUT_LEN).toString() : r.output;
  const log = [...h.Log, { Start: r.start.toISOString(), End: r.end.toISOString(), ExitCode: r.exitCode, Output: output }].slice(-MAX_LOG_ENTRIES);
  if (r.exitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log: log };
  // failures inside the start period do not count while the container has never been healthy
  if (h.Status === 'starting' && sinceStartMs < p.startPeriodMs) return { ...h, Log: log };
  const streak = h.FailingStreak + 1;
  return { Status: streak >= p.retries ? 'unhealthy' : h.Status, FailingStreak: streak, Log: log };
}

/** What the monitor needs from the lifecycle. */
export interface HealthHost {
  /** runs the probe command as an exec of the container; exitCode -1 and Docker's text on a timeout */
  exec(id: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  /** the container's status and start time, or undefined when it is gone */
  status(id: string): { status: string; startedAt: number } | undefined;
  /** stores a new health (under the container's lock); returns the previous status */
  record(id: string, h: HealthState): Promise<HealthState['Status'] | undefined>;
  /** a change of status: the `health_status: <status>` event */
  changed(id: string, status: HealthState['Status']): void;
  /** the stored health, to resume after a daemon restart */
  current(id: string): HealthState | undefined;
  log?(msg: string): void;
}

/** Runs the probes of running containers. One timer per container; a probe never overlaps the next. */
export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly generation = new Map<string, number>();
  private seq = 0;

  constructor(private readonly host: HealthHost) {}

  /** Starts probing a container that just started (or that the daemon found running). */
  watch(id: string, probe: Probe): void {
    this.unwatch(id);
    const gen = ++this.seq;
    this.generation.set(id, gen);
    const schedule = () => {
      const st = this.host.status(id);
      if (!st || this.generation.get(id) !== gen) return;
      const t = setTimeout(() => void tick(), nextDelay(probe, this.host.current(id), Date.now() - st.startedAt));
      t.unref();
      this.timers.set(id, t);
    };
    const tick = async () => {
      this.timers.delete(id);
      const st = this.host.status(id);
      if (!st || this.generation.get(id) !== gen) return;
      // a frozen container cannot answer: its probes wait for the unpause
      if (st.status === 'running') {
        const start = new Date();
        const res = await this.host.exec(id, probe.cmd, probe.timeoutMs).catch((e: Error) => ({ exitCode: -1, output: e.message }));
        if (this.generation.get(id) !== gen) return;
        const cur = this.host.current(id) ?? initialHealth();
        const next = applyResult(probe, cur, { start, end: new Date(), exitCode: res.exitCode, output: res.output }, start.getTime() - st.startedAt);
        const before = await this.host.record(id, next).catch((e: Error) => { this.host.log?.(`health of ${id}: ${e.message}`); return undefined; });
        if (this.generation.get(id) !== gen) return;
        if (before !== undefined && before !== next.Status) this.host.changed(id, next.Status);
      }
      schedule();
    };
    schedule();
  }

  unwatch(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
    // a probe in flight sees its generation gone and drops its result
    this.generation.delete(id);
  }

  close(): void {
    for (const id of [...this.generation.keys()]) this.unwatch(id);
  }
}
