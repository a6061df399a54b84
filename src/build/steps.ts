/**
 * COPY, ADD and WORKDIR: the steps that write files without running anything. In a stage with a base
 * image they write into a container made from it (its symlinks and permissions apply, as in Docker) and
 * the container's diff is the layer; FROM scratch they make the layer tar directly.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { resolveInRoot } from '../volumes/copyup.js';
import type { LayerFile } from './backend.js';
import type { Instruction } from './dockerfile/instructions.js';
import { packItems, planCopy, type CopyItem, type CopyRoot, type Owner } from './copy.js';
import { short } from './output.js';
import { writeItems } from './write.js';
import { directLayer } from './directlayer.js';
import { ownedNewDirs } from './ownnew.js';
import { httpGet, type HttpResponse } from './context/httpget.js';
import type { StepStage } from './scope.js';

type CopyIns = Extract<Instruction, { kind: 'copy' | 'add' }>;

/** A layer tar written straight from items (FROM scratch), with their parent directories. */
async function scratchLayer(s: StepStage, items: CopyItem[], owner: Owner, chmod?: number, ownNew: ReadonlySet<string> = new Set()): Promise<LayerFile> {
  const parents = new Map<string, CopyItem>();
  for (const it of items) {
    const parts = it.name.split('/').slice(0, -1);
    for (let k = 1; k <= parts.length; k++) {
      const n = parts.slice(0, k).join('/');
      if (!parents.has(n) && !items.some((x) => x.kind === 'dir' && x.name === n)) parents.set(n, { kind: 'dir', name: n, mode: 0o755, mtime: new Date() });
    }
  }
  const file = path.join(s.run.tmpDir, `layer-${newId().slice(0, 16)}.tar`);
  const hash = createHash('sha256');
  const hasher = new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); cb(null, c); } });
  const all = packItems([...[...parents.values()].map((p) => ({ ...p, rootOwned: true, owner: ownNew.has(p.name) ? owner : undefined })), ...items], { owner, chmod });
  await pipeline(all, hasher, createWriteStream(file, { mode: 0o600 }));
  return { diffID: `sha256:${hash.digest('hex')}`, file, nonEmpty: true };
}

/**
 * `--chown` to ids: numeric, or names looked up in the stage's /etc/passwd and /etc/group, with the
 * classic builder's error texts. A user given alone takes the group of the same name, or (where the
 * classic builder fails and BuildKit goes on) the user's primary group.
 */
async function owner(s: StepStage, spec: string | undefined): Promise<Owner> {
  if (!spec) return { uid: 0, gid: 0 };
  const v = s.expand(spec);
  const parts = v.split(':');
  if (parts.length > 2) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: invalid chown string format: ${v}`);
  const [u = '', g] = parts;
  const num = (x: string) => /^\d+$/.test(x);
  if (num(u) && (g === undefined || g === '' || num(g))) return { uid: Number(u), gid: Number(g || u) };
  if (!s.imageId) throw invalidArgument(`unable to convert uid/gid chown string to host mapping: no passwd file in a stage FROM scratch`);
  return s.run.withImageRoot(s.imageId, async (root) => {
    const read = async (f: string) => (await fsp.readFile(await resolveInRoot(root, f), 'utf8').catch(() => '')).split('\n').map((l) => l.split(':'));
    const users = (await read('/etc/passwd')).filter((f) => f.length >= 4);
    const groups = (await read('/etc/group')).filter((f) => f.length >= 3);
    const fail = (m: string) => invalidArgument(`unable to convert uid/gid chown string to host mapping: ${m}`);
    const user = users.find((f) => f[0] === u) ?? (num(u) ? users.find((f) => f[2] === u) : undefined);
    if (!user && !num(u)) throw fail(`can't find uid for user ${u}: no such user: ${u}`);
    const uid = num(u) ? Number(u) : Number(user![2]);
    if (g === undefined || g === '') {
      const same = groups.find((f) => f[0] === u);
      return { uid, gid: same ? Number(same[2]) : num(u) ? uid : Number(user![3]) };
    }
    if (num(g)) return { uid, gid: Number(g) };
    const grp = groups.find((f) => f[0] === g);
    if (!grp) throw fail(`can't find gid for group ${g}: no such group: ${g}`);
    return { uid, gid: Number(grp[2]) };
  });
}

function parseChmod(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-7]{3,4}$/.test(v)) throw invalidArgument(`invalid chmod parameter: ${v}`);
  return parseInt(v, 8);
}

/** ADD from a URL: the body in a file of the build's temporary directory. */
async function download(s: StepStage, url: string): Promise<{ dir: string; name: string }> {
  const dir = path.join(s.run.tmpDir, `remote-${newId().slice(0, 12)}`);
  await fsp.mkdir(dir, { recursive: true });
  const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '') || '__unnamed__';
  let res: HttpResponse;
  try {
    res = await httpGet(url, s.run.signal);
  } catch (e) {
    throw invalidArgument(`failed to GET ${url}: ${(e as Error).message}`);
  }
  if (res.status >= 400) {
    res.body.resume();
    throw invalidArgument(`failed to GET ${url} with status ${res.statusLine}`);
  }
  await pipeline(res.body, createWriteStream(path.join(dir, name), { mode: 0o600 }));
  return { dir, name };
}

export async function runCopy(s: StepStage, ins: CopyIns): Promise<void> {
  const run = s.run;
  const word = ins.kind.toUpperCase();
  const destRaw = s.expand(ins.dest);
  const wd = s.cfg.WorkingDir || '/';
  const dest = path.posix.isAbsolute(destRaw) ? destRaw : path.posix.join(wd, destRaw);
  const endsSlash = /\/$|^\.$|\/\.$/.test(destRaw);
  let sources = ins.sources.map((x) => s.expand(x));
  const remote = sources.filter((x) => /^https?:\/\//i.test(x));
  if (remote.length && ins.kind === 'copy') throw invalidArgument('source can\'t be a URL for COPY');
  if (sources.some((x) => /^git@|\.git(#.*)?$/.test(x))) throw invalidArgument(`${word} from a git repository is not supported by Berth's builder`);
  const own = await owner(s, ins.chown);
  const chmod = parseChmod(ins.chmod);
  const esc = run.df.escape;
  const quote = (t: string) => `"${t.split(esc).join(esc + esc).replace(/"/g, `${esc}"`)}"`;
  const inline = ins.heredocs.map((h) => ({ name: h.name, content: h.expand ? s.expand(quote(h.content)) : h.content }));
  // history names --chown (substituted) as the classic builder does, and --chmod; not --from (the key has it)
  // (`--chown=u:g` runs into the source's hash without a space in Docker's text, and so it does here)
  const flags = [ins.chown ? `--chown=${s.expand(ins.chown)}` : '', ins.chmod ? `--chmod=${ins.chmod} ` : ''].join('');

  const withRoot = async <T>(fn: (root: CopyRoot, extra: string[]) => Promise<T>): Promise<T> => {
    if (remote.length) {
      // remote files: fetched into a directory of their own, then copied from it (mode 0600 as Docker)
      const got = await Promise.all(remote.map((u) => download(s, u)));
      try {
        if (got.length > 1 || sources.length > remote.length) throw invalidArgument('ADD with URLs takes one source at a time in Berth\'s builder');
        return await fn({ dir: got[0]!.dir }, [got[0]!.name]);
      } finally {
        for (const g of got) await fsp.rm(g.dir, { recursive: true, force: true });
      }
    }
    if (!ins.from) return fn({ dir: run.contextDir, ignore: run.ignore, index: run.contextIndex }, sources);
    const img = await s.fromSource(ins.from);
    if (!img) {
      const empty = path.join(run.tmpDir, `empty-${newId().slice(0, 12)}`);
      await fsp.mkdir(empty, { recursive: true });
      return fn({ dir: empty }, sources);
    }
    return run.withImageRoot(img.id, (root) => fn({ dir: root }, sources));
  };

  /** Writes the sources into a container made from the stage's image; its diff is the layer. */
  const write = async (root: CopyRoot, base: Omit<Parameters<typeof planCopy>[1], 'destIsDir'>) => {
    if (!s.imageId) {
      const plan = await planCopy(root, { ...base, destIsDir: endsSlash, hash: false });
      return { layer: await scratchLayer(s, plan.items, own, chmod, plan.ownNew), containerId: '' };
    }
    if (run.backend.directWrites) {
      // the layer straight from the items when the image lets it be (see directLayer): no file is
      // written into a container first
      const layer = await run.withImageRoot(s.imageId, async (rootfs) => {
        const st = endsSlash ? undefined : await fsp.stat(await resolveInRoot(rootfs, dest)).catch(() => undefined);
        const plan = await planCopy(root, { ...base, destIsDir: endsSlash || !!st?.isDirectory(), hash: false });
        const tar = await directLayer(rootfs, plan.items, { owner: own, chmod, ownNew: plan.ownNew });
        return tar && run.backend.ingestLayer(tar);
      });
      if (layer) return { layer, containerId: '' };
    }
    const id = await run.backend.createContainer({ ...s.cfg, Image: s.imageId, Cmd: [...s.shell(), `#(nop) ${word}`], Entrypoint: [''], HostConfig: run.hostConfig('none', [], {}) });
    run.track(id);
    const exists = async (p: string) => !!(await run.backend.statPath(id, p));
    try {
      if (run.backend.directWrites) {
        const wrote = await run.backend.withRootfs(id, async (rootfs) => {
          const st = endsSlash ? undefined : await fsp.stat(await resolveInRoot(rootfs, dest)).catch(() => undefined);
          const plan = await planCopy(root, { ...base, destIsDir: endsSlash || !!st?.isDirectory(), hash: false });
          if (plan.items.some((it) => it.kind === 'archive')) return plan;
          await writeItems(rootfs, plan.items, { owner: own, chmod, ownNew: plan.ownNew });
          return undefined;
        });
        if (wrote) await run.backend.copyInto(id, packItems([...(await ownedNewDirs(wrote.items, wrote.ownNew, own, exists)), ...wrote.items], { owner: own, chmod }));
      } else {
        const st = endsSlash ? undefined : await run.backend.statPath(id, dest);
        const plan = await planCopy(root, { ...base, destIsDir: endsSlash || !!st?.isDir, hash: false });
        await run.backend.copyInto(id, packItems([...(await ownedNewDirs(plan.items, plan.ownNew, own, exists)), ...plan.items], { owner: own, chmod }));
      }
      return { layer: await run.backend.diffLayer(id), containerId: '' };
    } finally {
      await run.dropContainer(id);
    }
  };
  const baseOf = (srcs: string[]) => ({ cmd: word as 'COPY' | 'ADD', sources: srcs, dest, isContext: !ins.from && !remote.length, exclude: ins.exclude, unpack: ins.kind === 'add' && !remote.length, parents: ins.parents, inline });
  const contentHash = (desc: string) => `${desc}|${own.uid}:${own.gid}|${chmod ?? ''}|${endsSlash}|${remote.length ? 'remote' : ''}`;

  if (ins.from) {
    // --from: the source image decides the content, so the key needs none of its files (a hit mounts nothing)
    const img = await s.fromSource(ins.from);
    const keyCmd = `${word} ${flags}--from=${ins.from} from:${img?.id ?? 'scratch'} ${JSON.stringify(sources)} ${JSON.stringify(ins.exclude)} ${ins.parents} in ${dest}`;
    await s.commit({
      cmd: [...s.shell(), `#(nop) ${word} ${flags}`],
      keyCmd,
      contentHash: contentHash(''),
      work: async () => withRoot(async (root, srcs) => {
        const desc = (await planCopy(root, { ...baseOf(srcs), destIsDir: true })).sourceDesc;
        const r = await write(root, baseOf(srcs));
        return { ...r, cmd: [...s.shell(), `#(nop) ${word} ${flags}${desc} in ${destRaw} `] };
      }),
    });
    return;
  }
  await withRoot(async (root, srcs) => {
    sources = srcs;
    const base = baseOf(srcs);
    // the key takes the sources as a directory destination would name them: whether the destination
    // is a directory depends only on the parent image, which the key holds already
    // (a context whose content did not change since an earlier build gives the description it gave)
    const memo = root.dir === s.run.contextDir ? s.run.contextMemo : undefined;
    const memoKey = JSON.stringify([s.run.opts.dockerfile, base]);
    const sourceDesc = memo?.get(memoKey) ?? (await planCopy(root, { ...base, destIsDir: true })).sourceDesc;
    memo?.set(memoKey, sourceDesc);
    // the destination as written (substituted): the key has the working directory through the config
    const text = `${word} ${flags}${sourceDesc} in ${destRaw} `;
    await s.commit({ cmd: [...s.shell(), `#(nop) ${text}`], contentHash: contentHash(sourceDesc), work: () => write(root, base) });
  });
}

export async function runWorkdir(s: StepStage, value: string): Promise<void> {
  const run = s.run;
  const wd = path.posix.resolve(s.cfg.WorkingDir || '/', value);
  s.cfg.WorkingDir = wd;
  const cmd = [...s.shell(), `#(nop) WORKDIR ${wd}`];
  await s.commit({
    cmd,
    work: async () => {
      const dirItem: CopyItem = { kind: 'dir', name: wd.replace(/^\/+/, ''), mode: 0o755, mtime: new Date() };
      if (!s.imageId) return { layer: await scratchLayer(s, wd === '/' ? [] : [dirItem], { uid: 0, gid: 0 }), containerId: '' };
      const id = await run.backend.createContainer({ ...s.cfg, Image: s.imageId, Cmd: cmd, Entrypoint: [''], HostConfig: run.hostConfig('none', [], {}) });
      run.track(id);
      run.out.line(` ---> Running in ${short(id)}`);
      if (!(await run.backend.statPath(id, wd))) await run.backend.copyInto(id, packItems([dirItem], { owner: { uid: 0, gid: 0 } }));
      return { layer: await run.backend.diffLayer(id), containerId: id };
    },
  });
}
