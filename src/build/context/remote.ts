/**
 * POST /build's `remote`: a context that the daemon fetches instead of reading it from the body, as
 * dockerd's remotecontext does.
 *   - a git URL (`git://`, `git@`, `github.com/`, or http(s) ending in `.git`, each with an optional
 *     `#ref:subdir` fragment): cloned with git(1) (shallow when the ref is a branch or tag), its `.git`
 *     left out, the subdirectory as the context;
 *   - any other http(s) URL: a tar (plain or compressed, recognised by its first bytes), streamed, or a
 *     Dockerfile alone, which becomes a context of that one file.
 * An URL that cannot be fetched is an InvalidArgument (dockerd's `error downloading remote context` text
 * for http; `unable to prepare context:` for git).
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { invalidArgument } from '../../core/errors.js';
import { httpGet, type HttpResponse } from './httpget.js';

/** moby's urlutil.IsGitURL. */
export function isGitUrl(url: string): boolean {
  if (/^(git:\/\/|git@|github\.com\/)/.test(url)) return true;
  return /^https?:\/\//.test(url) && /\.git(?:#.*)?$/.test(url);
}

/** `url#ref:subdir` split as moby's gitutils.parseRemoteURL (github.com/ gets https://, ref defaults to HEAD). */
export function parseGitUrl(url: string): { repo: string; ref: string; subdir: string } {
  const hash = url.indexOf('#');
  let repo = hash < 0 ? url : url.slice(0, hash);
  const frag = hash < 0 ? '' : url.slice(hash + 1);
  if (repo.startsWith('github.com/')) repo = `https://${repo}`;
  const colon = frag.indexOf(':');
  const ref = (colon < 0 ? frag : frag.slice(0, colon)) || '';
  const subdir = colon < 0 ? '' : frag.slice(colon + 1);
  if (subdir.split('/').includes('..') || path.posix.isAbsolute(subdir)) throw invalidArgument(`unable to prepare context: subdirectory ${JSON.stringify(subdir)} leaves the repository`);
  if (ref.startsWith('-')) throw invalidArgument(`unable to prepare context: invalid git reference ${JSON.stringify(ref)}`);
  return { repo, ref, subdir };
}

function git(args: string[], cwd: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, signal, timeout: 600_000, maxBuffer: 8 << 20, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false' } }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(invalidArgument('unable to prepare context: git is not installed on the daemon\'s host: a git URL needs it'));
      reject(invalidArgument(`unable to prepare context: unable to 'git ${args[0]}': ${stderr.trim() || err.message}`));
    });
  });
}

/** Clones a git context into `dir` (made here); returns the directory the context is in. */
export async function cloneGitContext(url: string, dir: string, signal: AbortSignal): Promise<string> {
  const { repo, ref, subdir } = parseGitUrl(url);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const repoDir = path.join(dir, 'repo');
  if (ref === '' || !/^[0-9a-f]{7,40}$/.test(ref)) {
    const branch = ref ? ['--branch', ref] : [];
    // shallow first; a server that cannot (git's dumb http) gets a whole clone, as moby falls back
    await git(['clone', '--depth', '1', '--recurse-submodules', '--shallow-submodules', ...branch, '--', repo, repoDir], dir, signal).catch(async () => {
      await fsp.rm(repoDir, { recursive: true, force: true });
      await git(['clone', '--recurse-submodules', ...branch, '--', repo, repoDir], dir, signal);
    });
  } else {
    // a commit: a whole clone, then that commit
    await git(['clone', '--recurse-submodules', '--', repo, repoDir], dir, signal);
    await git(['checkout', '--quiet', ref, '--'], repoDir, signal);
    await git(['submodule', 'update', '--init', '--recursive'], repoDir, signal);
  }
  await fsp.rm(path.join(repoDir, '.git'), { recursive: true, force: true });
  const ctx = path.join(repoDir, subdir);
  const real = await fsp.realpath(ctx).catch(() => undefined);
  if (!real || (real !== repoDir && !real.startsWith(`${repoDir}/`))) throw invalidArgument(`unable to prepare context: subdirectory ${JSON.stringify(subdir)} not found in ${repo}`);
  if (!(await fsp.stat(real)).isDirectory()) throw invalidArgument(`unable to prepare context: ${JSON.stringify(subdir)} is not a directory`);
  return real;
}

/** A directory as a context tar stream (what the CLI would send for it). */
export async function packDir(dir: string): Promise<Readable> {
  const pack = tar.pack();
  const walk = async (rel: string): Promise<void> => {
    for (const n of (await fsp.readdir(path.join(dir, rel))).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const host = path.join(dir, r);
      const st = await fsp.lstat(host);
      const base = { name: r, mode: st.mode & 0o7777, mtime: st.mtime };
      if (st.isDirectory()) {
        pack.entry({ ...base, type: 'directory' });
        await walk(r);
      } else if (st.isSymbolicLink()) {
        pack.entry({ ...base, type: 'symlink', linkname: await fsp.readlink(host) });
      } else if (st.isFile()) {
        await new Promise<void>((resolve, reject) => {
          fsp.readFile(host).then((b) => pack.entry({ ...base, type: 'file', size: b.length }, b, (e) => (e ? reject(e) : resolve())), reject);
        });
      }
    }
  };
  walk('').then(() => pack.finalize(), (e: unknown) => pack.destroy(e as Error));
  return pack as unknown as Readable;
}

/** An http(s) context: the body streamed when it is an archive, or a one-Dockerfile context. */
export async function httpContext(url: string, signal: AbortSignal, dockerfileName = 'Dockerfile'): Promise<{ body: Readable; dockerfile?: string }> {
  if (!/^https?:\/\//.test(url)) throw invalidArgument(`unable to prepare context: remote URL ${url} is not an http(s) URL`);
  // dockerd's texts (the docker CLI fetches URL contexts itself; API clients send `remote`)
  let res: HttpResponse;
  try {
    res = await httpGet(url, signal);
  } catch (e) {
    throw invalidArgument(`error downloading remote context ${url}: Get ${JSON.stringify(url)}: ${(e as Error).message}`);
  }
  if (res.status >= 400) {
    res.body.resume();
    throw invalidArgument(`error downloading remote context ${url}: failed to GET ${url} with status ${res.statusLine}`);
  }
  const src: Readable = res.body;
  // the first 512 bytes tell a tar or a compressed stream from a Dockerfile; they go back in front
  const head: Buffer[] = [];
  let n = 0;
  let ended = false;
  for (;;) {
    const c = src.read() as Buffer | null;
    if (c) {
      head.push(c);
      n += c.length;
      if (n >= 512) break;
      continue;
    }
    if (src.readableEnded) break;
    const more = await new Promise<boolean>((resolve, reject) => {
      const done = () => { cleanup(); resolve(false); };
      const ready = () => { cleanup(); resolve(true); };
      const failed = (e: Error) => { cleanup(); reject(e); };
      const cleanup = () => { src.off('readable', ready); src.off('end', done); src.off('error', failed); };
      src.once('readable', ready);
      src.once('end', done);
      src.once('error', failed);
    });
    if (!more) {
      ended = true;
      break;
    }
  }
  const first = Buffer.concat(head);
  const isTar = first.length >= 262 && first.subarray(257, 262).toString('latin1') === 'ustar';
  const compressed = (first[0] === 0x1f && first[1] === 0x8b) || first.subarray(0, 3).toString('latin1') === 'BZh' || first.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (isTar || compressed) {
    const body = new PassThrough();
    body.write(first);
    if (ended) body.end();
    else src.pipe(body);
    src.on('error', (e) => body.destroy(e));
    return { body };
  }
  // a Dockerfile alone (small: Docker takes it whole too)
  const rest: Buffer[] = [first];
  if (!ended) for await (const c of src) rest.push(c as Buffer);
  const p = tar.pack();
  p.entry({ name: dockerfileName, mode: 0o644 }, Buffer.concat(rest));
  p.finalize();
  return { body: p as unknown as Readable, dockerfile: dockerfileName };
}
