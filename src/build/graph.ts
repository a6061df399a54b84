/**
 * The build graph: which stages the target needs and what each waits for. A stage depends on the stage
 * it starts FROM and on those it copies or mounts `--from`; a `--from` naming no stage is an image. Stages
 * the target does not reach are not built; the others run as soon as what they wait for is done, so
 * independent stages run at the same time.
 */
import { invalidArgument } from '../core/errors.js';
import type { Dockerfile, Stage } from './dockerfile/instructions.js';

export interface StagePlan {
  stage: Stage;
  /** the FROM image after meta-arg substitution (a stage name, `scratch` or an image reference) */
  base: string;
  /** the stage it starts from, if any */
  baseStage?: number;
  /** stages whose results it reads (FROM, COPY --from, RUN --mount from=) */
  deps: number[];
}

export interface BuildPlan {
  stages: StagePlan[];
  /** the stage that makes the image */
  target: number;
  /** stage indexes to build, in Dockerfile order */
  needed: number[];
}

/** The stage a `--from` or FROM value names: by name (case-insensitive) or index, only earlier stages. */
export function stageRef(df: Dockerfile, ref: string, before: number): number | undefined {
  const r = ref.toLowerCase();
  const byName = df.stages.findIndex((s) => s.name === r);
  if (byName >= 0 && byName < before) return byName;
  if (/^\d+$/.test(ref)) {
    const i = Number(ref);
    if (i < before) return i;
    throw invalidArgument(`invalid from flag value ${ref}: refers to current or future build stage`);
  }
  return undefined;
}

/** Plans the build of `target` (a stage name; empty: the last stage). `expandFrom` substitutes meta args. */
export function planBuild(df: Dockerfile, target: string | undefined, expandFrom: (s: string) => string, expandFlag: (s: string, stage: number) => string = (s) => s): BuildPlan {
  let t = df.stages.length - 1;
  if (target) {
    t = df.stages.findIndex((s) => s.name === target.toLowerCase());
    if (t < 0) throw invalidArgument(`failed to reach build target ${target} in Dockerfile`);
  }
  const stages: StagePlan[] = df.stages.map((stage, i) => {
    const base = expandFrom(stage.from.image);
    if (base === '') throw invalidArgument(`dockerfile parse error on line ${stage.fromNode.startLine}: base name (${stage.from.image}) should not be blank`);
    const baseStage = stageRef(df, base, i);
    const deps = new Set<number>(baseStage === undefined ? [] : [baseStage]);
    for (const s of stage.steps) {
      const refs: string[] = [];
      if ((s.ins.kind === 'copy' || s.ins.kind === 'add') && s.ins.from) refs.push(s.ins.from);
      if (s.ins.kind === 'run') for (const m of s.ins.mounts) if (m.from) refs.push(m.from);
      for (const r of refs) {
        const d = stageRef(df, expandFlag(r, i), i);
        if (d !== undefined) deps.add(d);
      }
    }
    return { stage, base, baseStage, deps: [...deps] };
  });
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of stages[i]!.deps) visit(d);
  };
  visit(t);
  return { stages, target: t, needed: [...needed].sort((a, b) => a - b) };
}

/**
 * Runs `run` for every needed stage once its dependencies are done; independent stages concurrently.
 * The first failure stops new stages from starting and is thrown once the running ones end.
 */
export async function runGraph<T>(plan: BuildPlan, run: (p: StagePlan, deps: Map<number, T>) => Promise<T>): Promise<Map<number, T>> {
  const results = new Map<number, T>();
  const started = new Map<number, Promise<T>>();
  let failed: unknown;
  const start = (i: number): Promise<T> => {
    let p = started.get(i);
    if (p) return p;
    p = (async () => {
      const sp = plan.stages[i]!;
      const deps = new Map<number, T>();
      for (const d of sp.deps) deps.set(d, await start(d));
      if (failed !== undefined) throw failed;
      const r = await run(sp, deps);
      results.set(i, r);
      return r;
    })();
    p.catch((e: unknown) => { failed ??= e; });
    started.set(i, p);
    return p;
  };
  const all = plan.needed.map((i) => start(i));
  await Promise.allSettled(all);
  if (failed !== undefined) throw failed;
  return results;
}
