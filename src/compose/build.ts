/**
 * The client side of `build:`: the context directory streamed as a tar (`.dockerignore` honoured for
 * plain patterns) to POST /build with the service's options, and the JSON message stream read back
 * (build output, errors, the image ID in `aux`).
 */
import { promises as fsp, createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Transport } from '../client/transport.js';
import { jsonStream } from '../client/stream.js';
import type { BuildConfig } from './model.js';

export interface BuildRequest {
  tag: string;
  build: BuildConfig;
  noCache?: boolean;
  pull?: boolean;
}

/** The query of POST /build for a service's build section, as the docker CLI encodes it. */
export function buildQuery(req: BuildRequest): Record<string, string | undefined> {
  const b = req.build;
  const args = Object.fromEntries(Object.entries(b.args ?? {}).filter(([, v]) => v !== null)) as Record<string, string>;
  return {
    t: req.tag,
    dockerfile: b.dockerfile_inline !== undefined ? '.berth-inline.Dockerfile' : b.dockerfile ?? 'Dockerfile',
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

/** `.dockerignore` as a predicate (plain paths, `*` and `**` globs, `!` exceptions). */
export function ignoreMatcher(text: string): (rel: string) => boolean {
  const rules = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const negate = l.startsWith('!');
    const pat = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
    const re = new RegExp(`^${pat.split('**').map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')).join('.*')}(/.*)?$`);
    return { negate, re };
  });
  return (rel) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(rel)) ignored = !r.negate;
    return ignored;
  };
}

/** A tar stream of the context directory (the inline Dockerfile added when there is one). */
export async function contextTar(dir: string, inline?: string): Promise<Readable> {
  const pack = tar.pack();
  const ignoreText = await fsp.readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => '');
  const ignored = ignoreMatcher(ignoreText);
  const walk = async (rel: string): Promise<void> => {
    const entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (ignored(r) && r !== 'Dockerfile') continue;
      const full = path.join(dir, r);
      const st = await fsp.lstat(full);
      const base = { name: r, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
      if (e.isDirectory()) {
        pack.entry({ ...base, type: 'directory' });
        await walk(r);
      } else if (e.isSymbolicLink()) {
        pack.entry({ ...base, type: 'symlink', linkname: await fsp.readlink(full) });
      } else if (e.isFile()) {
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...base, size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(full).on('error', reject).pipe(entry);
        });
      }
    }
  };
  walk('').then(() => {
    if (inline !== undefined) pack.entry({ name: '.berth-inline.Dockerfile', mode: 0o644 }, inline);
    pack.finalize();
  }, (err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}

interface BuildMessage {
  stream?: string;
  error?: string;
  errorDetail?: { message: string };
  aux?: { ID?: string };
}

/** Builds one image; build output goes to `out`; resolves with the image ID when the daemon gives one. */
export async function buildImage(t: Transport, req: BuildRequest, out: (line: string) => void): Promise<string | undefined> {
  const body = await contextTar(req.build.context, req.build.dockerfile_inline);
  const res = await t.request({ method: 'POST', path: '/build', query: buildQuery(req), rawBody: body, contentType: 'application/x-tar' });
  let id: string | undefined;
  for await (const m of jsonStream<BuildMessage>(res)) {
    if (m.error || m.errorDetail) throw new Error(`failed to build ${req.tag}: ${m.errorDetail?.message ?? m.error}`);
    if (m.stream) out(m.stream);
    if (m.aux?.ID) id = m.aux.ID;
  }
  return id;
}
