/**
 * The client side of `build:`: the context directory sent to POST /build as `berth build` sends it
 * (client/buildcontext.ts: `.dockerignore` with Docker's semantics, only the changes against berthd)
 * with the service's options, and the JSON message stream read back (build output, errors, the image ID
 * in `aux`).
 */
import type { Transport } from '../client/transport.js';
import { postDirBuild } from '../client/buildcontext.js';
import { jsonStream } from '../client/stream.js';
import type { BuildConfig } from './model.js';

export interface BuildRequest {
  tag: string;
  build: BuildConfig;
  noCache?: boolean;
  pull?: boolean;
}

/** The name a `dockerfile_inline` is sent under, at the context's root. */
const INLINE = '.berth-inline.Dockerfile';

/** The query of POST /build for a service's build section, as the docker CLI encodes it. */
export function buildQuery(req: BuildRequest): Record<string, string | undefined> {
  const b = req.build;
  const args = Object.fromEntries(Object.entries(b.args ?? {}).filter(([, v]) => v !== null)) as Record<string, string>;
  return {
    t: req.tag,
    dockerfile: b.dockerfile_inline !== undefined ? INLINE : b.dockerfile ?? 'Dockerfile',
    buildargs: Object.keys(args).length > 0 ? JSON.stringify(args) : undefined,
    target: b.target || undefined,
    labels: b.labels && Object.keys(b.labels).length > 0 ? JSON.stringify(b.labels) : undefined,
    networkmode: b.network || undefined,
    cachefrom: b.cache_from && b.cache_from.length > 0 ? JSON.stringify(b.cache_from) : undefined,
    nocache: req.noCache || b.no_cache ? '1' : undefined,
    pull: req.pull || b.pull ? '1' : undefined,
    shmsize: b.shm_size !== undefined ? String(b.shm_size) : undefined,
    extrahosts: b.extra_hosts ? Object.entries(b.extra_hosts).map(([h, ip]) => `${h}:${ip}`).join(',') : undefined,
  };
}

interface BuildMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message: string };
  aux?: { ID?: string };
}

/** Builds one image; build output goes to `out`; resolves with the image ID when the daemon gives one. */
export async function buildImage(t: Transport, req: BuildRequest, out: (line: string) => void): Promise<string | undefined> {
  const b = req.build;
  const query = buildQuery(req);
  const inline = b.dockerfile_inline !== undefined ? { name: INLINE, data: Buffer.from(b.dockerfile_inline) } : undefined;
  const res = await postDirBuild(t, query, { dir: b.context, dockerfile: String(query.dockerfile), extra: inline });
  let id: string | undefined;
  for await (const m of jsonStream<BuildMessage>(res)) {
    if (m.error || m.errorDetail) throw new Error(`failed to build ${req.tag}: ${m.errorDetail?.message ?? m.error}`);
    if (m.stream) out(m.stream);
    if (m.aux?.ID) id = m.aux.ID;
  }
  return id;
}
