/**
 * The convergence planner, pure: from the project, the containers the daemon has for it and the images'
 * IDs, what `up` must do per service (create, recreate, start, keep, remove), which containers are
 * orphans, and the order services go in. A container is recreated only when its config hash or its
 * image changed, or when its networks or named volumes drifted from the model.
 */
import { serviceHash, type ServiceRefs } from './hash.js';
import { L } from './labels.js';
import type { Project, ServiceConfig } from './model.js';
import { replicasOf } from './normalize.js';
import { dependenciesOf } from './references.js';

/** What the planner needs to know of an existing container (a subset of GET /containers/json). */
export interface Observed {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
  NetworkSettings?: { Networks?: Record<string, unknown> };
  Mounts?: { Type: string; Name?: string; Source?: string; Destination: string; RW?: boolean }[];
}

export type Action =
  | { kind: 'create'; number: number }
  | { kind: 'recreate'; number: number; container: Observed; reason: string }
  | { kind: 'start'; number: number; container: Observed }
  | { kind: 'keep'; number: number; container: Observed }
  | { kind: 'remove'; number: number; container: Observed };

export interface ServicePlan {
  service: string;
  hash: string;
  actions: Action[];
}

export interface Plan {
  services: Record<string, ServicePlan>;
  /** services in dependency order, grouped: every service's dependencies are in an earlier group */
  levels: string[][];
  /** project containers whose service the project no longer has (or no longer enables) */
  orphans: Observed[];
}

export interface PlanOptions {
  /** services to converge (default: all); their dependencies come along unless noDeps */
  services?: string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  /** --scale overrides */
  scale?: Record<string, number>;
  /** the image ID each service runs now (unknown: no image drift check) */
  imageIds?: Record<string, string>;
}

export const numberOf = (c: Observed): number => Number(c.Labels[L.number] ?? 0) || 0;

/** Dependency levels of the given services (each service after all of its dependencies). */
export function dependencyLevels(p: Project, services: string[]): string[][] {
  const set = new Set(services);
  const level = new Map<string, number>();
  const depth = (n: string, seen: Set<string>): number => {
    if (level.has(n)) return level.get(n)!;
    if (seen.has(n)) return 0;
    seen.add(n);
    const deps = dependenciesOf(p.services[n]!).filter((d) => set.has(d));
    const l = deps.length === 0 ? 0 : Math.max(...deps.map((d) => depth(d, seen))) + 1;
    level.set(n, l);
    return l;
  };
  const out: string[][] = [];
  for (const n of [...set].sort()) {
    const l = depth(n, new Set());
    (out[l] ??= []).push(n);
  }
  return out.filter(Boolean);
}

/** The services to act on: the named ones and, unless noDeps, everything they depend on. */
export function withDependencies(p: Project, named: string[] | undefined, noDeps = false): string[] {
  if (!named || named.length === 0) return Object.keys(p.services);
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n)) return;
    out.add(n);
    if (!noDeps) for (const d of dependenciesOf(p.services[n]!)) if (d in p.services) add(d);
  };
  for (const n of named) add(n);
  return [...out];
}

/** Why a container no longer matches its service, or undefined when it does. */
export function drift(p: Project, s: ServiceConfig, c: Observed, hash: string, imageId: string | undefined): string | undefined {
  if (c.Labels[L.hash] !== hash) return 'config changed';
  if (imageId && c.Labels[L.image] && c.Labels[L.image] !== imageId) return 'image changed';
  if (s.network_mode === undefined && c.NetworkSettings?.Networks) {
    const have = new Set(Object.keys(c.NetworkSettings.Networks));
    for (const key of Object.keys(s.networks ?? {})) {
      const name = p.networks[key]?.name ?? key;
      if (!have.has(name)) return `not connected to network ${name}`;
    }
  }
  if (c.Mounts) {
    for (const v of s.volumes ?? []) {
      if (v.type !== 'volume' || !v.source) continue;
      const name = p.volumes[v.source]?.name ?? v.source;
      if (!c.Mounts.some((m) => m.Type === 'volume' && m.Name === name && m.Destination === v.target)) return `volume ${name} is not mounted at ${v.target}`;
    }
  }
  return undefined;
}

/** The name v2 sorts containers by (the first name without its slash). */
const canonicalName = (c: Observed): string => (c.Names.find((n) => n.lastIndexOf('/') === 0) ?? c.Names[0] ?? '').replace(/^\//, '');

/** `service:` references resolved as v2 does: to the ID of the service's first container by name. */
export function refsFrom(byService: Map<string, Observed[]>): ServiceRefs {
  return (svc) => [...(byService.get(svc) ?? [])].sort((a, b) => (canonicalName(a) < canonicalName(b) ? -1 : canonicalName(a) > canonicalName(b) ? 1 : 0))[0]?.Id;
}

/** Services that reference another's container (network_mode, ipc, pid `service:x`, volumes_from). */
export function containerRefsOf(s: ServiceConfig): string[] {
  const out: string[] = [];
  for (const v of [s.network_mode, s.ipc, s.pid]) if (typeof v === 'string' && v.startsWith('service:')) out.push(v.slice(8));
  for (const v of s.volumes_from ?? []) if (!v.startsWith('container:')) out.push(v.split(':')[0]!);
  return out;
}

function planService(p: Project, s: ServiceConfig, existing: Observed[], opts: PlanOptions, refs: ServiceRefs): ServicePlan {
  const hash = serviceHash(s, refs);
  const want = opts.scale?.[s.name] ?? replicasOf(s);
  const sorted = [...existing].sort((a, b) => numberOf(a) - numberOf(b));
  const actions: Action[] = [];
  const kept = sorted.slice(0, want);
  for (const c of sorted.slice(want)) actions.push({ kind: 'remove', number: numberOf(c), container: c });
  for (const c of kept) {
    const why = opts.forceRecreate ? 'forced' : drift(p, s, c, hash, opts.imageIds?.[s.name]);
    const number = numberOf(c);
    if (why && !opts.noRecreate) actions.push({ kind: 'recreate', number, container: c, reason: why });
    else if (c.State === 'running' || c.State === 'restarting' || c.State === 'paused') actions.push({ kind: 'keep', number, container: c });
    else actions.push({ kind: 'start', number, container: c });
  }
  const used = new Set(kept.map(numberOf));
  let n = 1;
  for (let i = kept.length; i < want; i++) {
    while (used.has(n)) n++;
    used.add(n);
    actions.push({ kind: 'create', number: n });
  }
  return { service: s.name, hash, actions };
}

/** Plans `up` for a project given the containers (oneoff=False) that carry its project label. */
export function planUp(p: Project, containers: Observed[], opts: PlanOptions = {}): Plan {
  const selected = withDependencies(p, opts.services, opts.noDeps);
  const byService = new Map<string, Observed[]>();
  const orphans: Observed[] = [];
  for (const c of containers) {
    if (c.Labels[L.oneoff] === 'True') continue;
    const svc = c.Labels[L.service] ?? '';
    if (svc in p.services) {
      const list = byService.get(svc) ?? [];
      list.push(c);
      byService.set(svc, list);
    } else if (!(svc in p.disabled)) orphans.push(c);
  }
  const services: Record<string, ServicePlan> = {};
  const refs = refsFrom(byService);
  for (const name of selected) services[name] = planService(p, p.services[name]!, byService.get(name) ?? [], opts, refs);
  // a container that shares another service's container (its network, ipc, pid or volumes) follows it:
  // when that one is made anew, the reference (a container ID, part of the hash) changes
  let changed = true;
  while (changed) {
    changed = false;
    for (const name of selected) {
      const moved = containerRefsOf(p.services[name]!).some((r) => services[r]?.actions.some((a) => a.kind === 'create' || a.kind === 'recreate'));
      if (!moved || opts.noRecreate) continue;
      services[name]!.actions = services[name]!.actions.map((a) => {
        if (a.kind !== 'keep' && a.kind !== 'start') return a;
        changed = true;
        return { kind: 'recreate', number: a.number, container: a.container, reason: 'a container it shares was recreated' };
      });
    }
  }
  return { services, levels: dependencyLevels(p, selected), orphans };
}

/** True when applying the plan changes nothing. */
export function isNoop(plan: Plan): boolean {
  return Object.values(plan.services).every((s) => s.actions.every((a) => a.kind === 'keep'));
}
