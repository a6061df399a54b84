/** /images/* routes. The image store is reached through this narrow interface. */
import type { Readable, Writable } from 'node:stream';
import type { HistoryItem, ImageDeleteResponseItem, ImageInspect, ImageSummary } from '../../api/types.js';
import { invalidArgument, unavailable } from '../../core/errors.js';
import { parseFilters } from '../../containers/views.js';
import { qBool, type Ctx, type Router } from '../http.js';

export interface ImageApi {
  summaries(opts: { all: boolean; filters: Record<string, string[]> }): ImageSummary[];
  inspect(ref: string): ImageInspect;
  history(ref: string): Promise<HistoryItem[]>;
  /** bytes of all unpacked layers of all images */
  layersSize(): Promise<number>;
  tag(source: string, repo: string, tag: string): Promise<void>;
  remove(ref: string, opts: { force: boolean; prune: boolean }): Promise<ImageDeleteResponseItem[]>;
  importRootfs(body: Readable, opts: { repo?: string; tag?: string; changes: string[]; message?: string; platform?: string }): Promise<{ id: string }>;
  /** onMessage receives Docker's `Loaded image: x` lines; resolves with the loaded ids */
  load(body: Readable, onMessage: (line: string) => void): Promise<string[]>;
  save(refs: string[], out: Writable): Promise<void>;
  /** pull `ref` (tagged or digested); progress messages go to `sink` */
  pull(ref: string, opts: { platform?: string; auth?: string; signal: AbortSignal }, sink: (m: object) => void): Promise<void>;
  /** push `ref` (without a tag: all tags of the repository) */
  push(ref: string, opts: { auth?: string; signal: AbortSignal }, sink: (m: object) => void): Promise<void>;
  /** POST /auth: check credentials against a registry */
  login(auth: Record<string, string>): Promise<{ Status: string; IdentityToken: string }>;
  /** imported rootfs layers may be gzip'ed: the route hands the raw body over */
  /** after POST /images/prune: reports what it freed (the image `prune` event) */
  pruned?(reclaimed: number): void;
}

export function imageRoutes(r: Router, images: ImageApi): void {
  r.add('GET', '/images/json', (ctx) => {
    ctx.send(200, images.summaries({ all: qBool(ctx.query, 'all'), filters: parseFilters(ctx.query.get('filters')) }));
  });
  r.add('POST', '/images/create', async (ctx) => {
    const q = ctx.query;
    const fromSrc = q.get('fromSrc');
    if (!fromSrc) {
      const from = q.get('fromImage') ?? '';
      if (!from) throw invalidArgument('fromImage or fromSrc is required');
      const tag = q.get('tag') ?? '';
      const ref = tag === '' ? from : tag.includes(':') ? `${from}@${tag}` : `${from}:${tag}`;
      await progressStream(ctx, (sink, signal) => images.pull(ref, { platform: q.get('platform') || undefined, auth: authHeader(ctx), signal }, sink));
      return;
    }
    if (fromSrc !== '-') throw invalidArgument('importing from a URL is not supported: send the archive in the request body (fromSrc=-)');
    let repo = q.get('repo') ?? undefined;
    let tag = q.get('tag') ?? undefined;
    // docker import sends "repo:tag" in repo
    if (repo && !tag) {
      const i = repo.lastIndexOf(':');
      if (i > repo.lastIndexOf('/')) { tag = repo.slice(i + 1); repo = repo.slice(0, i); }
    }
    const img = await images.importRootfs(ctx.req, { repo, tag, changes: q.getAll('changes').filter(Boolean), message: q.get('message') ?? undefined, platform: q.get('platform') ?? undefined });
    const res = ctx.stream(200, 'application/json');
    res.end(`${JSON.stringify({ status: img.id })}\n`);
  });
  r.add('POST', '/images/load', async (ctx) => {
    // the "Loaded image: x" lines are printed with or without quiet (quiet only drops progress bars).
    // As dockerd: the answer is 200 from the start, and a failure (a broken or truncated archive) is an
    // errorDetail message in the stream, which clients raise (docker-py's ImageLoadError)
    const res = ctx.stream(200, 'application/json');
    try {
      await images.load(ctx.req, (l) => res.write(`${JSON.stringify({ stream: `${l}\n` })}\n`));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      res.write(`${JSON.stringify({ errorDetail: { message }, error: message })}\n`);
      ctx.req.resume(); // the rest of the archive is not wanted
    }
    res.end();
  });
  const save = async (ctx: Parameters<Parameters<Router['add']>[2]>[0], names: string[]) => {
    if (!names.length) throw invalidArgument('no image names given');
    for (const n of names) images.inspect(n); // 404 before streaming
    const res = ctx.stream(200, 'application/x-tar');
    await images.save(names, res);
    res.end();
  };
  r.add('GET', '/images/get', (ctx) => save(ctx, ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean)));
  r.add('GET', '/images/{name*}/get', (ctx) => save(ctx, [ctx.params[0]]));
  r.add('GET', '/images/{name*}/json', (ctx) => ctx.send(200, images.inspect(ctx.params[0])));
  r.add('GET', '/images/{name*}/history', async (ctx) => ctx.send(200, await images.history(ctx.params[0])));
  r.add('POST', '/auth', async (ctx) => {
    const body = await ctx.json();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('invalid auth configuration: expected a JSON object');
    const auth: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) {
      if (v === null || v === undefined) continue;
      if (typeof v !== 'string') throw invalidArgument(`json: cannot unmarshal ${typeof v} into Go struct field AuthConfig.${k} of type string`);
      auth[k.toLowerCase()] = v;
    }
    ctx.send(200, await images.login(auth));
  });
  r.add('POST', '/images/{name*}/push', async (ctx) => {
    const tag = ctx.query.get('tag') ?? '';
    const ref = tag === '' ? ctx.params[0] : `${ctx.params[0]}:${tag}`;
    await progressStream(ctx, (sink, signal) => images.push(ref, { auth: authHeader(ctx), signal }, sink));
  });
  r.add('POST', '/images/{name*}/tag', async (ctx) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw invalidArgument('repository name must have at least one component');
    await images.tag(ctx.params[0], repo, ctx.query.get('tag') || 'latest');
    ctx.send(201);
  });
  r.add('DELETE', '/images/{name*}', async (ctx) => {
    ctx.send(200, await images.remove(ctx.params[0], { force: qBool(ctx.query, 'force'), prune: !qBool(ctx.query, 'noprune') }));
  });
  r.add('POST', '/images/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    const all = filters.dangling?.[0] === 'false';
    const deleted: ImageDeleteResponseItem[] = [];
    const before = await images.layersSize();
    for (const img of images.summaries({ all: true, filters: all ? {} : { dangling: ['true'] } })) {
      if (img.Containers > 0) continue;
      // as dockerd: an unused image goes with all its references
      deleted.push(...(await images.remove(img.Id, { force: true, prune: true }).catch(() => [])));
    }
    const reclaimed = Math.max(0, before - (await images.layersSize()));
    images.pruned?.(reclaimed);
    ctx.send(200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
  });
}

function authHeader(ctx: Ctx): string | undefined {
  const h = ctx.req.headers['x-registry-auth'];
  return typeof h === 'string' && h !== '' ? h : undefined;
}

/**
 * A pull or push: the 200 and its JSON stream start with the first message, so an error before any
 * progress (unknown image, refused credentials) is a plain error response with its status, as dockerd's.
 * A later error ends the stream with Docker's error message. The work is cancelled if the client leaves.
 */
async function progressStream(ctx: Ctx, work: (sink: (m: object) => void, signal: AbortSignal) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  let res: ReturnType<Ctx['stream']> | undefined;
  let done = false;
  ctx.onClose(() => {
    if (!done) ac.abort();
  });
  const sink = (m: object) => {
    res ??= ctx.stream(200, 'application/json');
    if (!res.destroyed) res.write(`${JSON.stringify(m)}\n`);
  };
  try {
    await work(sink, ac.signal);
  } catch (err) {
    if (!res) throw err;
    const message = err instanceof Error ? err.message : String(err);
    sink({ errorDetail: { message }, error: message });
  } finally {
    done = true;
  }
  res ??= ctx.stream(200, 'application/json');
  res.end();
}
