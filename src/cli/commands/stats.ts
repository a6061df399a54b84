/** `stats` (one sample with --no-stream, else a live table) and `update`, as the docker CLI runs them. */
import type { BerthClient } from '../../client/client.js';
import { describeError } from '../../client/errors.js';
import { clientOf, write, type Ctx } from '../context.js';
import { emptyEntry, entryFromSample, statsFormat, statsSpec, type StatsEntry } from '../format/stats.js';
import { renderRows } from '../format/template.js';
import { parseRestart } from '../opts/kv.js';
import { parseBytes, parseCpus, parseIntFlag, parseSwap } from '../opts/units.js';
import { CliError } from '../program.js';

/** docker marks a container's figures invalid ("--") when no sample came for this long */
const SAMPLE_TIMEOUT_MS = 2000;
const REFRESH_MS = 500;

interface Tracked {
  entry: StatsEntry;
  error?: unknown;
  close(): void;
}

/** Streams one container's samples into its entry until closed. */
function follow(client: BerthClient, container: string, onFirst: () => void): Tracked {
  const t: Tracked = { entry: emptyEntry(container), close: () => undefined };
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let first = true;
  const settle = () => { if (first) { first = false; onFirst(); } };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      t.entry = { ...emptyEntry(container), name: t.entry.name, id: t.entry.id, invalid: true };
      settle();
    }, SAMPLE_TIMEOUT_MS);
  };
  arm();
  t.close = () => { closed = true; clearTimeout(timer); };
  void (async () => {
    try {
      const stream = await client.containers.statsStream(container);
      const prev = t.close;
      t.close = () => { prev(); stream.close(); };
      if (closed) stream.close();
      for await (const s of stream) {
        if (closed) break;
        t.entry = entryFromSample(container, s);
        arm();
        settle();
      }
    } catch (err) {
      if (!closed) t.error = err;
    } finally {
      clearTimeout(timer);
      settle();
    }
  })();
  return t;
}

async function render(ctx: Ctx, entries: StatsEntry[], opts: Record<string, unknown>): Promise<string> {
  return renderRows(statsFormat(opts.format as string | undefined), entries, statsSpec(opts.trunc !== false));
}

export async function stats(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  const all = opts.all === true;
  const showAll = args.length === 0;

  if (opts.stream === false) {
    // as docker: listed containers are asked for by their short id
    const names = showAll ? (await client.containers.list({ all })).map((c) => c.Id.slice(0, 12)) : args;
    const results = await Promise.allSettled(names.map((n) => client.containers.stats(n)));
    // a container named on the command line must answer; a listed one that does not shows "--"
    const errors = showAll ? [] : results.flatMap((r) => (r.status === 'rejected' ? [describeError(r.reason)] : []));
    if (errors.length) throw new CliError(1, errors.join('\n'));
    const entries = results.map((r, i) => (r.status === 'fulfilled' ? entryFromSample(names[i]!, r.value) : { ...emptyEntry(names[i]!), invalid: true }));
    if (entries.length === 0) return 0;
    await write(ctx.stdout, await render(ctx, entries, opts));
    return 0;
  }

  const tracked = new Map<string, Tracked>();
  let pending = 0;
  let firstDone: () => void = () => undefined;
  const add = (id: string) => {
    if (tracked.has(id)) return;
    pending++;
    tracked.set(id, follow(client, id, () => { if (--pending === 0) firstDone(); }));
  };
  const drop = (id: string) => {
    tracked.get(id)?.close();
    tracked.delete(id);
  };
  let events: Awaited<ReturnType<BerthClient['events']>> | undefined;
  try {
    if (showAll) {
      // subscribed before listing, so no container that starts in between is missed
      events = await client.events({ filters: { type: ['container'] } });
      const ev = events;
      void (async () => {
        try {
          for await (const e of ev) {
            const id = (e.Actor?.ID ?? '').slice(0, 12);
            if (!id) continue;
            if (e.Action === 'start' || (all && e.Action === 'create')) add(id);
            else if ((!all && e.Action === 'die') || e.Action === 'destroy') drop(id);
          }
        } catch {
          // the daemon went away: the samples stop too
        }
      })();
      for (const c of await client.containers.list({ all })) add(c.Id.slice(0, 12));
    } else {
      for (const n of args) add(n);
    }
    await new Promise<void>((resolve) => {
      firstDone = resolve;
      if (pending === 0) resolve();
    });
    if (!showAll) {
      const errors = [...tracked.values()].flatMap((t) => (t.error ? [describeError(t.error)] : []));
      if (errors.length) throw new CliError(1, errors.join('\n'));
    }
    for (;;) {
      await new Promise((r) => setTimeout(r, REFRESH_MS));
      const entries = [...tracked.values()].map((t) => t.entry);
      const text = await render(ctx, entries, opts);
      // home, each line followed by erase-to-end-of-line, then erase the rest of the screen
      const lines = text.split('\n');
      await write(ctx.stdout, `\x1b[H${lines.map((l) => `${l}\x1b[K\n`).join('')}\x1b[J`);
      if (entries.length === 0 && !showAll) return 0;
    }
  } finally {
    events?.close();
    for (const t of tracked.values()) t.close();
  }
}

/** docker's flag error: the message, the usage line, status 125. */
function flagError(flag: string, value: string, err: unknown): CliError {
  return new CliError(125, `invalid argument "${value}" for "${flag}" flag: ${(err as Error).message}\n\nUsage:  berth update [OPTIONS] CONTAINER [CONTAINER...]\n\nRun 'berth update --help' for more information`);
}

function parsed<T>(opts: Record<string, unknown>, key: string, flag: string, fn: (s: string) => T): T | undefined {
  const v = opts[key];
  if (v === undefined) return undefined;
  try {
    return fn(String(v));
  } catch (err) {
    throw flagError(flag, String(v), err);
  }
}

/** The body docker update sends: every resource field (zero = unchanged) and the restart policy. */
export function updateBody(opts: Record<string, unknown>): Record<string, unknown> {
  const int = (key: string, flag: string) => parsed(opts, key, flag, parseIntFlag) ?? 0;
  const blkio = parsed(opts, 'blkioWeight', '--blkio-weight', (s) => {
    const n = parseIntFlag(s);
    if (n < 0 || n > 65535) throw new Error(`strconv.ParseUint: parsing "${s}": value out of range`);
    return n;
  }) ?? 0;
  const pids = int('pidsLimit', '--pids-limit');
  let restart: { Name: string; MaximumRetryCount: number } = { Name: '', MaximumRetryCount: 0 };
  if (opts.restart !== undefined && opts.restart !== '') {
    try {
      const p = parseRestart(String(opts.restart));
      restart = { Name: p.Name ?? '', MaximumRetryCount: p.MaximumRetryCount ?? 0 };
    } catch (err) {
      throw new CliError(1, (err as Error).message);
    }
  }
  return {
    CpuShares: int('cpuShares', '-c, --cpu-shares'),
    Memory: parsed(opts, 'memory', '-m, --memory', parseBytes) ?? 0,
    NanoCpus: parsed(opts, 'cpus', '--cpus', parseCpus) ?? 0,
    CgroupParent: '',
    BlkioWeight: blkio,
    BlkioWeightDevice: null, BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null, BlkioDeviceWriteIOps: null,
    CpuPeriod: int('cpuPeriod', '--cpu-period'),
    CpuQuota: int('cpuQuota', '--cpu-quota'),
    CpuRealtimePeriod: int('cpuRtPeriod', '--cpu-rt-period'),
    CpuRealtimeRuntime: int('cpuRtRuntime', '--cpu-rt-runtime'),
    CpusetCpus: (opts.cpusetCpus as string | undefined) ?? '',
    CpusetMems: (opts.cpusetMems as string | undefined) ?? '',
    Devices: null, DeviceCgroupRules: null, DeviceRequests: null,
    MemoryReservation: parsed(opts, 'memoryReservation', '--memory-reservation', parseBytes) ?? 0,
    MemorySwap: parsed(opts, 'memorySwap', '--memory-swap', parseSwap) ?? 0,
    MemorySwappiness: null, OomKillDisable: null,
    ...(pids !== 0 ? { PidsLimit: pids } : {}),
    Ulimits: null, CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
    RestartPolicy: restart,
  };
}

const UPDATE_FLAGS = ['blkioWeight', 'cpuPeriod', 'cpuQuota', 'cpuRtPeriod', 'cpuRtRuntime', 'cpuShares', 'cpus', 'cpusetCpus', 'cpusetMems', 'memory', 'memoryReservation', 'memorySwap', 'pidsLimit', 'restart'];

export async function update(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  if (!UPDATE_FLAGS.some((k) => opts[k] !== undefined)) throw new CliError(1, 'you must provide one or more flags when using this command');
  const body = updateBody(opts);
  const c = (await clientOf(ctx)).containers;
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const name of args) {
    try {
      const r = await c.update(name, body);
      warnings.push(...(r?.Warnings ?? []));
      await write(ctx.stdout, `${name}\n`);
    } catch (err) {
      errors.push(describeError(err));
    }
  }
  if (warnings.length) await write(ctx.stdout, `${warnings.join('\n')}\n`);
  if (errors.length) throw new CliError(1, errors.join('\n'));
  return 0;
}
