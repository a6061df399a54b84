/**
 * RUN: the command in a container made from the stage's image, with the stage's environment (plus the
 * build args in scope), user, working directory and shell, on the build's network; its output streams
 * into the build's. Its history records Docker's `|N A=b ... cmd` form when build args are set, and the
 * cache key takes the same text, so a changed arg value misses. `--mount` gives it a bind of the context
 * (or of a stage or image), a persistent cache directory or a tmpfs, none of which end up in the layer.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { HostConfig } from '../api/types.js';
import { invalidArgument } from '../core/errors.js';
import type { Instruction } from './dockerfile/instructions.js';
import type { Node } from './dockerfile/parser.js';
import { cleanSource, planCopy } from './copy.js';
import { resolveInRoot } from '../volumes/copyup.js';
import { short } from './output.js';
import { StepError } from './scope.js';
import type { StepStage } from './scope.js';

type RunIns = Extract<Instruction, { kind: 'run' }>;
type HostMounts = NonNullable<HostConfig['Mounts']>;

/** RUN --mount=type=bind,from=stage|image: a directory of that file system (`image` undefined: scratch). */
interface FromBind {
  image: string | undefined;
  src: string;
  target: string;
  readonly: boolean;
}

/**
 * Runs `fn` with the from-binds as mounts: each image's root stays mounted (a helper container) until
 * `fn` is done, so what `rw` lets the step write there is thrown away with it. Missing sources fail as
 * BuildKit's do.
 */
async function withFromBinds<T>(s: StepStage, binds: FromBind[], fn: (mounts: HostMounts) => Promise<T>, acc: HostMounts = []): Promise<T> {
  const [b, ...rest] = binds;
  if (!b) return fn(acc);
  const notFound = () => invalidArgument(`failed to compute cache key: "/${b.src}" not found`);
  if (!b.image) {
    if (b.src !== '') throw notFound();
    const empty = path.join(s.run.tmpDir, `scratch-${createHash('sha256').update(b.target).digest('hex').slice(0, 12)}`);
    await fsp.mkdir(empty, { recursive: true });
    return withFromBinds(s, rest, fn, [...acc, { Type: 'bind', Source: empty, Target: b.target, ReadOnly: b.readonly }]);
  }
  return s.run.withImageRoot(b.image, async (root) => {
    const host = await resolveInRoot(root, b.src);
    if (!(await fsp.lstat(host).then(() => true, () => false))) throw notFound();
    return withFromBinds(s, rest, fn, [...acc, { Type: 'bind', Source: host, Target: b.target, ReadOnly: b.readonly }]);
  });
}

/** Copies a directory's contents (owners, modes, times, links) into `dir`. */
function seed(from: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('cp', ['-a', '--', `${from}/.`, dir], (err, _o, stderr) => (err ? reject(invalidArgument(`cache mount base: ${stderr.trim() || err.message}`)) : resolve()));
  });
}

/** The command of a RUN: exec form as is; shell form through the stage's shell, heredocs included. */
export function runCommand(ins: RunIns, shell: string[]): string[] {
  if ('json' in ins.form) return ins.form.json;
  let text = ins.form.shell;
  if (ins.heredocs.length === 1 && /^<<-?["']?[A-Za-z_][\w]*["']?\s*$/.test(text.trim())) {
    // `RUN <<EOF ... EOF`: the body is the script
    text = ins.heredocs[0]!.content;
  } else if (ins.heredocs.length) {
    text = `${text}\n${ins.heredocs.map((h) => `${h.content}${h.name}`).join('\n')}`;
  }
  return [...shell, text];
}

export async function runRun(s: StepStage, ins: RunIns, _node: Node): Promise<void> {
  const run = s.run;
  if (!s.imageId) throw invalidArgument('RUN needs a base image with a shell: this stage starts FROM scratch');
  const cmd = runCommand(ins, s.shell());
  const { env, recorded } = s.buildEnv();
  const saveCmd = env.length ? [`|${recorded.length}`, ...recorded, ...cmd] : cmd;
  const hostMounts: NonNullable<HostConfig['Mounts']> = [];
  const tmpfs: Record<string, string> = {};
  const hash = createHash('sha256');
  const held: (() => Promise<void>)[] = [];
  const fromBinds: FromBind[] = [];
  try {
    for (const m of ins.mounts) {
      const target = path.posix.resolve(s.cfg.WorkingDir || '/', s.expand(m.target));
      hash.update(JSON.stringify({ ...m, target }));
      if (m.type === 'tmpfs') {
        tmpfs[target] = m.size ? `size=${m.size}` : '';
      } else if (m.type === 'cache') {
        const id = m.id ? s.expand(m.id) : target;
        const dir = path.join(run.backend.stateDir, 'cache-mounts', createHash('sha256').update(id).digest('hex').slice(0, 32));
        const fresh = !(await fsp.stat(dir).then(() => true, () => false));
        if (fresh && m.from) {
          // `from`: a new cache starts as a copy of a stage's or image's directory (BuildKit's base)
          const img = await s.fromSource(m.from);
          await fsp.mkdir(`${dir}.seed`, { recursive: true, mode: 0o755 });
          if (img) await run.withImageRoot(img.id, async (root) => seed(await resolveInRoot(root, cleanSource(s.expand(m.source ?? '/'), false)), `${dir}.seed`));
          // another build made it meanwhile: theirs stays
          await fsp.rename(`${dir}.seed`, dir).catch(() => fsp.rm(`${dir}.seed`, { recursive: true, force: true }));
        }
        await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
        if (m.uid !== undefined || m.gid !== undefined) await fsp.chown(dir, m.uid ?? 0, m.gid ?? 0);
        if (m.mode !== undefined) await fsp.chmod(dir, m.mode);
        hostMounts.push({ Type: 'bind', Source: dir, Target: target, ReadOnly: m.readonly });
      } else {
        if (m.from) {
          // a stage's or an image's file system: its id decides the content
          const img = await s.fromSource(m.from);
          const src = cleanSource(s.expand(m.source ?? '/'), false);
          hash.update(`from:${img?.id ?? 'scratch'}:${src}:${m.readonly}`);
          fromBinds.push({ image: img?.id, src, target, readonly: m.readonly });
          continue;
        }
        const src = s.expand(m.source ?? '.');
        const plan = await planCopy({ dir: run.contextDir, ignore: run.ignore, index: run.contextIndex }, {
          sources: [src], dest: '/m', destIsDir: true, isContext: true, exclude: [], unpack: false, parents: false, inline: [],
        });
        hash.update(plan.sourceDesc);
        // resolved inside the context: a symlink there cannot bind anything outside it; always read-only,
        // so a step cannot change the context later steps copy from
        const host = await resolveInRoot(run.contextDir, cleanSource(src, true));
        hostMounts.push({ Type: 'bind', Source: host, Target: target, ReadOnly: true });
      }
    }
    const network = ins.network ?? run.opts.networkMode;
    await s.commit({
      cmd: saveCmd,
      contentHash: ins.mounts.length ? hash.digest('hex') : undefined,
      work: () => withFromBinds(s, fromBinds, async (fromMounts) => {
        const id = await run.backend.createContainer({
          ...s.cfg, Image: s.imageId, Cmd: cmd, Entrypoint: [''], Env: [...(s.cfg.Env ?? []), ...env], Healthcheck: { Test: ['NONE'] },
          AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false,
          HostConfig: run.hostConfig(network, [...hostMounts, ...fromMounts], tmpfs),
        });
        run.track(id);
        run.out.line(` ---> Running in ${short(id)}`);
        // stderr in red, as the classic builder writes it (docker-py's tests look for the codes)
        const code = await run.backend.runContainer(id, (d, stream) => run.out.stream(stream === 'stderr' ? `\x1b[91m${d.toString('utf8')}\x1b[0m` : d.toString('utf8')), run.signal);
        run.signal.throwIfAborted();
        if (code !== 0) throw new StepError(`The command '${cmd.join(' ')}' returned a non-zero code: ${code}`, code);
        return { layer: await run.backend.diffLayer(id), containerId: id };
      }),
    });
  } finally {
    for (const h of held) await h();
  }
}
