/** /_ping, /version, /info, /events, /system/df. */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { EventBus } from '../../core/events.js';
import { matches } from '../../core/events.js';
import { parseFilters } from '../../containers/views.js';
import { invalidArgument } from '../../core/errors.js';
import { parseTimestamps } from '../../core/timestamps.js';
import { API_VERSION, MIN_API_VERSION, type Router } from '../http.js';
import type { SystemVersion } from '../../api/types.js';
import { SWARM_INFO } from './swarm.js';
import { DEFAULT_LOG_DRIVER, LOG_DRIVERS } from '../../runtime/logs/index.js';

export interface SystemInfo {
  version: string;
  dataRoot: string;
  execRoot: string;
  counts(): { containers: number; running: number; paused: number; stopped: number; images: number };
  runcVersion: string;
  /** docker info's Runtimes (with what Berth found in each one's status) and DefaultRuntime */
  runtimes: Record<string, { path: string; runtimeArgs?: string[]; status?: Record<string, string> }>;
  defaultRuntime: string;
  /** versions by runtime name, for /version's components */
  runtimeVersions: Record<string, string>;
  conmonVersion: string;
  cgroupVersion: '1' | '2';
  name: string;
  id: string;
  started: number;
  /** userns-remap is active: SecurityOptions lists name=userns, as dockerd's */
  userns?: boolean;
  /** the daemon's default log driver (daemon.json log-driver, json-file when unset) */
  logDriver?: string;
  /** what the daemon wants users to know (e.g. what it found and did in the host's other firewalls) */
  warnings?(): string[];
}

export function systemRoutes(r: Router, d: { info: SystemInfo; events: EventBus; df(): Promise<unknown> }): void {
  const ping = (ctx: Parameters<Parameters<Router['add']>[2]>[0]) => ctx.send(200, 'OK', { 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Builder-Version': '' });
  r.add('GET', '/_ping', ping);
  r.add('HEAD', '/_ping', ping);
  r.add('GET', '/system/df', async (ctx) => ctx.send(200, await d.df()));
  r.add('GET', '/version', (ctx) => {
    const v: SystemVersion = {
      Platform: { Name: 'Berth' },
      Components: [
        { Name: 'Engine', Version: d.info.version, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: arch(), KernelVersion: os.release() } },
        ...Object.entries(d.info.runtimeVersions).map(([name, v]) => ({ Name: name, Version: v, Details: {} })),
        { Name: 'conmon', Version: d.info.conmonVersion, Details: {} },
      ],
      Version: d.info.version, ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: 'berth', GoVersion: `node${process.versions.node}`,
      Os: 'linux', Arch: arch(), KernelVersion: os.release(), BuildTime: new Date(d.info.started).toISOString(), Experimental: false,
    };
    ctx.send(200, v);
  });
  r.add('GET', '/info', (ctx) => {
    const c = d.info.counts();
    ctx.send(200, {
      ID: d.info.id, Containers: c.containers, ContainersRunning: c.running, ContainersPaused: c.paused, ContainersStopped: c.stopped,
      Images: c.images, Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']],
      Plugins: { Volume: ['local'], Network: ['host', 'none'], Authorization: null, Log: [...LOG_DRIVERS] },
      MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
      IPv4Forwarding: true, Debug: false, NFd: 0, OomKillDisable: false, NGoroutines: 0, SystemTime: new Date().toISOString(),
      LoggingDriver: d.info.logDriver ?? DEFAULT_LOG_DRIVER, CgroupDriver: 'cgroupfs', CgroupVersion: d.info.cgroupVersion, NEventsListener: 0,
      KernelVersion: os.release(), OperatingSystem: osName(), OSVersion: '', OSType: 'linux', Architecture: os.machine(),
      NCPU: os.cpus().length, MemTotal: os.totalmem(), IndexServerAddress: 'https://index.docker.io/v1/', RegistryConfig: null,
      DockerRootDir: d.info.dataRoot, HttpProxy: '', HttpsProxy: '', NoProxy: '', Name: d.info.name, Labels: [], ExperimentalBuild: false,
      ServerVersion: d.info.version, Runtimes: d.info.runtimes, DefaultRuntime: d.info.defaultRuntime, LiveRestoreEnabled: true,
      Isolation: '', InitBinary: 'tini', ContainerdCommit: { ID: '' }, RuncCommit: { ID: d.info.runcVersion }, InitCommit: { ID: '' },
      SecurityOptions: [...(d.info.userns ? ['name=userns'] : []), 'name=cgroupns'], Warnings: d.info.warnings?.() ?? [], Swarm: SWARM_INFO,
    });
  });
  r.add('GET', '/events', async (ctx) => {
    // the docker CLI sends unix seconds (it converts dates and durations itself), as dockerd expects
    const sinceRaw = ctx.query.get('since') ?? '';
    const untilRaw = ctx.query.get('until') ?? '';
    const since = sinceRaw ? parseTimestamps(sinceRaw) : undefined;
    const until = untilRaw ? parseTimestamps(untilRaw) : undefined;
    if (until !== undefined && since !== undefined && until < since) {
      throw invalidArgument(`\`since\` time (${sinceRaw}) cannot be after \`until\` time (${untilRaw})`);
    }
    const filters = parseFilters(ctx.query.get('filters'));
    const res = ctx.stream(200, 'application/json');
    // the replay and the subscription are taken together (no await between them): no event is lost or doubled
    const buffered = d.events.history(since, until, filters);
    const unsub = d.events.subscribe((m) => {
      if (matches(m, filters) && !res.destroyed) res.write(`${JSON.stringify(m)}\n`);
    });
    try {
      for (const m of buffered) res.write(`${JSON.stringify(m)}\n`);
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      if (until !== undefined && until < nowNs) return; // only past events
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const done = () => { if (timer) clearTimeout(timer); resolve(); };
        // setTimeout holds at most 2^31-1 ms: re-arm until the deadline
        const arm = () => {
          if (until === undefined) return;
          const left = Number((until - BigInt(Date.now()) * 1_000_000n) / 1_000_000n);
          if (left <= 0) done();
          else timer = setTimeout(arm, Math.min(left, 2 ** 31 - 1));
        };
        ctx.onClose(done);
        res.once('close', done);
        arm();
      });
    } finally {
      unsub();
      res.end();
    }
  });
}

function arch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}
