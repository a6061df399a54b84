/** POST /build (the classic builder's API), POST /build/prune, and Berth's GET /berth/build/context. The builder is reached through BuildApi. */
import type { BuildOptions } from '../../build/scope.js';
import type { Readable } from 'node:stream';
import { invalidArgument } from '../../core/errors.js';
import { parseFilters } from '../../containers/views.js';
import { parseDuration } from '../../core/duration.js';
import { qBool, qInt, type Ctx, type Router } from '../http.js';

/** A build's options, as the query of POST /build gives them (src/build/scope.ts). */
export type BuildRequest = BuildOptions;

export interface BuildApi {
  build(body: Readable, req: BuildRequest, emit: (o: Record<string, unknown>) => void, signal: AbortSignal): Promise<string | undefined>;
  prune(opts: { all: boolean; keepStorage: number; until?: number; ids?: string[] }): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }>;
  /** InvalidArgument for a tag `docker build -t` could not use */
  checkTag(tag: string): void;
  /** The stamps of the paths of the context kept under a Berth client's key (client/buildcontext.ts) */
  keptContext(key: string): Promise<{ Base: string | null; Entries: Record<string, string> }>;
}

/** berthcontext and berthbase: ids made of hex digits */
function hexParam(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[0-9a-f]{1,64}$/.test(v)) throw invalidArgument(`invalid ${name} value: ${v}`);
  return v;
}

/** A JSON query parameter of the shape `ok` accepts; `what` names it in the error, as dockerd does. */
function jsonParam<T>(q: URLSearchParams, name: string, dflt: T, what: string, ok: (v: unknown) => boolean): T {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (e) {
    throw invalidArgument(`error reading ${what}: ${(e as Error).message}`);
  }
  if (parsed === null) return dflt;
  if (!ok(parsed)) throw invalidArgument(`error reading ${what}: ${JSON.stringify(v)} is not ${name === 'cachefrom' ? 'a list of strings' : 'an object of strings'}`);
  return parsed as T;
}

const isObjectOf = (vals: (v: unknown) => boolean) => (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(vals);

/** The query string of POST /build as options (dockerd's newImageBuildOptions). */
export function parseBuildQuery(q: URLSearchParams, registryConfig: string | undefined): BuildRequest {
  if (qBool(q, 'squash')) throw invalidArgument('squash is only supported with experimental mode');
  const version = q.get('version');
  if (version && version !== '1') {
    throw invalidArgument(`builder version ${version} (BuildKit) is not supported by Berth: build with DOCKER_BUILDKIT=0 docker build ..., or berth build`);
  }
  const buildArgs = jsonParam<Record<string, string | null>>(q, 'buildargs', {}, 'build args', isObjectOf((v) => v === null || typeof v === 'string'));
  const labels = jsonParam<Record<string, string>>(q, 'labels', {}, 'labels', isObjectOf((v) => typeof v === 'string'));
  const cacheFrom = jsonParam<string[]>(q, 'cachefrom', [], 'cache-from', (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'));
  let registryAuth: Record<string, Record<string, string>> = {};
  if (registryConfig) {
    try {
      registryAuth = JSON.parse(Buffer.from(registryConfig, 'base64').toString('utf8')) as typeof registryAuth;
    } catch {
      registryAuth = {}; // dockerd ignores a config it cannot read
    }
  }
  const num = (n: string) => qInt(q, n);
  const cpusetcpus = q.get('cpusetcpus') ?? undefined;
  return {
    tags: q.getAll('t').filter(Boolean),
    dockerfile: q.get('dockerfile') ?? 'Dockerfile',
    quiet: qBool(q, 'q'),
    noCache: qBool(q, 'nocache'),
    rm: qBool(q, 'rm', true),
    forceRm: qBool(q, 'forcerm'),
    pull: qBool(q, 'pull'),
    buildArgs,
    labels,
    target: q.get('target') || undefined,
    networkMode: q.get('networkmode') || undefined,
    extraHosts: q.getAll('extrahosts').flatMap((h) => h.split(',')).filter(Boolean),
    shmSize: num('shmsize'),
    resources: { Memory: num('memory'), MemorySwap: num('memswap'), CpuShares: num('cpushares'), CpusetCpus: cpusetcpus || undefined, CpuPeriod: num('cpuperiod'), CpuQuota: num('cpuquota') },
    cacheFrom,
    platform: q.get('platform') || undefined,
    registryAuth,
    contextKey: hexParam(q, 'berthcontext'),
    contextBase: hexParam(q, 'berthbase'),
  };
}

export function buildRoutes(r: Router, api: BuildApi, opts: { pruned?(reclaimed: number): void } = {}): void {
  r.add('POST', '/build', async (ctx: Ctx) => {
    const reg = ctx.req.headers['x-registry-config'];
    const req = parseBuildQuery(ctx.query, Array.isArray(reg) ? reg[0] : reg);
    for (const t of req.tags) api.checkTag(t);
    const ac = new AbortController();
    let finished = false;
    ctx.onClose(() => { if (!finished) ac.abort(); });
    ctx.req.on('aborted', () => { if (!finished) ac.abort(); });
    const body: Readable = ctx.req;
    // the builder fetches a remote context itself (src/build/context/remote.ts)
    const remote = ctx.query.get('remote');
    if (remote) req.remote = remote;
    let res: ReturnType<Ctx['stream']> | undefined;
    const emit = (o: Record<string, unknown>) => {
      res ??= ctx.stream(200, 'application/json');
      if (!res.destroyed) res.write(`${JSON.stringify(o)}\n`);
    };
    try {
      await api.build(body, req, emit, ac.signal);
    } finally {
      finished = true;
    }
    res ??= ctx.stream(200, 'application/json');
    res.end();
  });
  // Berth's extension for its own client: what the daemon keeps of a context (a delta is sent against it)
  r.add('GET', '/berth/build/context', async (ctx) => {
    const key = hexParam(ctx.query, 'key');
    if (!key) throw invalidArgument('key is required');
    ctx.send(200, await api.keptContext(key));
  });
  r.add('POST', '/build/prune', async (ctx) => {
    const f = parseFilters(ctx.query.get('filters'));
    const fail = (msg: string) => invalidArgument(`failed to prune build cache: ${msg}`);
    // dockerd's build-cache filters; an unknown one is refused, and nothing is pruned
    for (const k of Object.keys(f)) {
      if (!PRUNE_FILTERS.includes(k)) throw fail(`Invalid filter '${k}'`);
    }
    const keepRaw = ctx.query.get('keep-storage') ?? ctx.query.get('reserved-space');
    if (keepRaw && !/^\d+$/.test(keepRaw)) throw invalidArgument(`keep-storage is in bytes and expects an integer, got ${keepRaw}`);
    const untilRaw = f.until?.[0] ?? f['unused-for']?.[0];
    let until: number | undefined;
    if (untilRaw) {
      until = /^\d+$/.test(untilRaw) ? Number(untilRaw) * 1000 : Date.parse(untilRaw);
      if (Number.isNaN(until)) {
        try {
          until = Date.now() - parseDuration(untilRaw) / 1e6;
        } catch (e) {
          throw fail(`"until" filter expects a duration (e.g., '24h'): ${(e as Error).message}`);
        }
      }
    }
    // every entry of Berth's cache is a regular, private one that no build holds: these filters select all
    // of it or none of it
    const none = (f.type ?? []).some((v) => v !== 'regular') || (f.inuse ?? []).includes('true') || (f.shared ?? []).includes('true')
      || (f.private ?? []).includes('false');
    if (f.parent || f.description) throw fail(`the ${f.parent ? 'parent' : 'description'} filter is not supported by Berth's build cache`);
    const out = none ? { CachesDeleted: [], SpaceReclaimed: 0 }
      : await api.prune({ all: qBool(ctx.query, 'all'), keepStorage: keepRaw ? Number(keepRaw) : 0, until, ids: f.id });
    opts.pruned?.(out.SpaceReclaimed);
    ctx.send(200, { CachesDeleted: out.CachesDeleted.length ? out.CachesDeleted : null, SpaceReclaimed: out.SpaceReclaimed });
  });
}

/** The filters POST /build/prune takes (dockerd's cacheFields, until and unused-for). */
const PRUNE_FILTERS = ['until', 'unused-for', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private'];
