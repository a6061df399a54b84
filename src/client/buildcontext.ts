/**
 * The client side of a build context: a directory sent to POST /build as a tar, made as it is read
 * (`.dockerignore` applied as the docker CLI applies it; the Dockerfile and the ignore files always go),
 * used by `berth build` and by Compose.
 *
 * Against Berth, a directory that was built before is sent as a delta. berthd keeps the last contexts
 * it received (src/build/builder.ts), each under a key the client chose (a hash of the directory's real
 * path), with what the client said of each path when it sent it: a stamp of its lstat (type and mode,
 * size, times, inode), in the entry's pax header (`BERTH.stamp`). Before sending, the client asks for
 * those stamps (`GET /berth/build/context`, a Berth extension; Docker answers 404 and gets the whole
 * context). The delta is a tar whose first entry (pax `BERTH.same`) lists, NUL-separated, the paths
 * whose stamp did not change: the daemon keeps its copies of those. Every other path follows as usual.
 * What the list does not name and the tar does not carry is gone. The POST names the key and the base it
 * compared against (`berthcontext`, `berthbase`); when the daemon no longer has that base (another
 * build took it, a restart cleared it), or the list names a path it does not keep, it answers 409 before
 * any output and the client sends the whole context once more.
 *
 * A path only gets a stamp once it has not changed for STAMP_SETTLE_MS: a file written again within one
 * clock tick, with the same size, would otherwise keep its stamp (git's "racily clean" case). A path
 * without a stamp is sent whole every time.
 */
import { createReadStream, lstatSync, promises as fsp, readdirSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { IgnoreMatcher, parseIgnoreFile } from '../core/dockerignore.js';
import { DaemonError } from './errors.js';
import type { Query, Transport } from './transport.js';

/** pax keys of the delta protocol (module doc) */
export const PAX_SAME = 'BERTH.same';
export const PAX_STAMP = 'BERTH.stamp';
/** the name of a delta's list of unchanged paths (its pax key, not its name, is what marks it) */
const SAME_LIST_NAME = '.berth-same';
/** the Berth extension that lists a kept context's stamps */
export const KEPT_CONTEXT_PATH = '/berth/build/context';

/** A path changed less than this long ago gets no stamp (it is sent whole next time). */
const STAMP_SETTLE_MS = 2000;
/** Files up to this size are read whole, several at a time; larger ones are streamed. */
const READ_WHOLE = 1 << 20;
/** Reads in flight ahead of the tar writer, and bytes the writer may be ahead of the reader of the tar. */
const READ_AHEAD = 32;
const WRITE_AHEAD = 8 << 20;

type TarHeader = Partial<tar.Header> & Pick<tar.Header, 'name'>;

/** A context directory to send. */
export interface DirContext {
  dir: string;
  /** the Dockerfile's path in the context (it is never ignored) */
  dockerfile: string;
  /** a file added at the root of the context (a Dockerfile from stdin or from outside the directory) */
  extra?: { name: string; data: Buffer };
}

/** One path of the context, in the order it is sent. */
interface Item {
  rel: string;
  st: Stats;
  linkname?: string;
}

/** A path's stamp, from its lstat; undefined while it may still change within one clock tick. */
export function stampOf(st: Stats, nowMs: number): string | undefined {
  if (nowMs - Math.max(st.mtimeMs, st.ctimeMs) < STAMP_SETTLE_MS) return undefined;
  return `${st.mode.toString(8)}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
}

/** The ignore rules of a context: `<Dockerfile>.dockerignore` if there is one, else `.dockerignore`. */
export async function contextIgnore(dir: string, dockerfile: string): Promise<IgnoreMatcher> {
  let text = await fsp.readFile(path.join(dir, `${dockerfile}.dockerignore`), 'utf8').catch(() => undefined);
  text ??= await fsp.readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => '');
  return new IgnoreMatcher(parseIgnoreFile(text));
}

/**
 * Visits the paths of the directory that are sent, depth first in name order (as docker's walk).
 * Synchronous: in a client with nothing else to do, thousands of lstat calls cost less than their
 * promises; each lstat is handed to `fn` at once, so what it does not keep dies young.
 */
function walk(dir: string, ignore: IgnoreMatcher, keep: Set<string>, fn: (rel: string, st: Stats, linkname?: string) => void): void {
  const root = path.resolve(dir);
  const visit = (rel: string): void => {
    for (const n of readdirSync(rel ? `${root}/${rel}` : root).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const host = `${root}/${r}`;
      const st = lstatSync(host);
      const ignored = !keep.has(r) && ignore.ignores(r);
      if (st.isDirectory()) {
        if (ignored && !ignore.mayReinclude(r)) continue;
        if (!ignored) fn(r, st);
        visit(r);
      } else if (!ignored && st.isFile()) fn(r, st);
      else if (!ignored && st.isSymbolicLink()) fn(r, st, readlinkSync(host));
    }
  };
  visit('');
}

/**
 * The context as a tar stream, read as it is sent. `known`: the stamps of the daemon's kept copy, for a
 * delta against it (module doc; an empty map: the whole context, stamped); undefined: the whole context
 * as the docker CLI sends it.
 */
export function packContext(c: DirContext, ignore: IgnoreMatcher, known?: Map<string, string>, o: { now?: number } = {}): Readable {
  const keep = new Set([c.dockerfile, '.dockerignore', `${c.dockerfile}.dockerignore`]);
  const pack = tar.pack();
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  // the writer waits while the reader of the tar is WRITE_AHEAD behind
  let fed = 0;
  let taken = 0;
  let wake: (() => void) | undefined;
  pack.on('data', (d: unknown) => {
    const b = d as Buffer;
    taken += b.length;
    if (!out.write(b)) pack.pause();
    wake?.();
  });
  out.on('drain', () => pack.resume());
  pack.on('end', () => out.end());
  pack.on('error', (e: Error) => out.destroy(e));
  const room = async () => {
    while (fed - taken > WRITE_AHEAD && !out.destroyed) await new Promise<void>((resolve) => { wake = resolve; });
  };
  const add = (h: TarHeader, body?: Buffer) => new Promise<void>((resolve, reject) => {
    fed += 512 + (body?.length ?? 0);
    pack.entry(h, body ?? Buffer.alloc(0), (e) => (e ? reject(e) : resolve()));
  });
  (async () => {
    const nowMs = o.now ?? Date.now();
    // the paths whose stamp the daemon has go as one list; the others, stamped, as entries
    const same: string[] = [];
    const items: (Item & { stamp?: string })[] = [];
    walk(c.dir, ignore, keep, (rel, st, linkname) => {
      const stamp = known ? stampOf(st, nowMs) : undefined;
      if (stamp !== undefined && known!.get(rel) === stamp) same.push(rel);
      else items.push({ rel, st, linkname, stamp });
    });
    if (same.length > 0) await add({ name: SAME_LIST_NAME, type: 'file', mode: 0o600, pax: { [PAX_SAME]: '1' } }, Buffer.from(same.join('\0')));
    if (c.extra) await add({ name: c.extra.name, type: 'file', mode: 0o600, mtime: new Date() }, c.extra.data);
    // small files are read ahead, READ_AHEAD at a time, in the order they are written
    const reads = new Map<number, Promise<Buffer>>();
    let next = 0;
    const readAhead = (from: number) => {
      for (next = Math.max(next, from); next < items.length && reads.size < READ_AHEAD; next++) {
        const it = items[next]!;
        if (!it.st.isFile() || it.st.size > READ_WHOLE) continue;
        const r = fsp.readFile(path.join(c.dir, it.rel));
        r.catch(() => undefined); // awaited in its turn, or dropped with the stream's error
        reads.set(next, r);
      }
    };
    for (const [i, it] of items.entries()) {
      readAhead(i);
      const st = it.st;
      const h: TarHeader = { name: it.rel, mode: st.mode & 0o7777, mtime: st.mtime, ...(it.stamp !== undefined ? { pax: { [PAX_STAMP]: it.stamp } } : {}) };
      if (st.isDirectory()) await add({ ...h, name: `${it.rel}/`, type: 'directory' });
      else if (st.isSymbolicLink()) await add({ ...h, type: 'symlink', linkname: it.linkname, mode: 0o777 });
      else {
        const whole = reads.get(i);
        if (whole) {
          reads.delete(i);
          await add({ ...h, type: 'file' }, await whole);
        } else {
          const sink = pack.entry({ ...h, type: 'file', size: st.size });
          fed += 512 + st.size;
          await pipeline(createReadStream(path.join(c.dir, it.rel)), sink);
        }
      }
      await room();
    }
    pack.finalize();
  })().catch((e: unknown) => {
    pack.destroy(e as Error);
    out.destroy(e as Error);
  });
  return out;
}

/** The key a directory's kept context goes by on the daemon. */
export async function contextKey(dir: string): Promise<string> {
  return createHash('sha256').update(await fsp.realpath(dir)).digest('hex').slice(0, 32);
}

/**
 * What the daemon keeps of a context: undefined from a daemon that keeps nothing (Docker answers 404),
 * else the kept copy's base id (none yet: undefined) and the stamps of its paths.
 */
export async function keptContext(t: Transport, key: string): Promise<{ base?: string; stamps: Map<string, string> } | undefined> {
  try {
    const r = await t.json<{ Base?: string | null; Entries?: Record<string, string> }>({ method: 'GET', path: KEPT_CONTEXT_PATH, query: { key } });
    if (!r || typeof r !== 'object') return undefined;
    return { base: r.Base ?? undefined, stamps: new Map(Object.entries(r.Entries ?? {})) };
  } catch {
    return undefined;
  }
}

/**
 * POST /build with a directory context, as a delta when the daemon keeps an earlier copy of it (module
 * doc); resolves with the response once its status is known.
 */
export async function postDirBuild(t: Transport, query: Query, c: DirContext, signal?: AbortSignal): Promise<http.IncomingMessage> {
  const ignore = await contextIgnore(c.dir, c.dockerfile);
  const key = await contextKey(c.dir);
  const kept = await keptContext(t, key);
  const post = (base: string | undefined, known: Map<string, string> | undefined) => t.request({
    method: 'POST', path: '/build', contentType: 'application/x-tar', signal,
    query: kept ? { ...query, berthcontext: key, berthbase: base } : query,
    rawBody: packContext(c, ignore, known),
  });
  if (!kept?.base) return post(undefined, kept && new Map());
  try {
    return await post(kept.base, kept.stamps);
  } catch (e) {
    // the kept copy went between the two requests: the whole context, once
    if (e instanceof DaemonError && e.statusCode === 409) return post(undefined, new Map());
    throw e;
  }
}
