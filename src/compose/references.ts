/**
 * Reference checks on a normalized project: depends_on, links, networks, volumes, volumes_from,
 * network_mode, secrets and configs must name things the project defines, and dependencies must not
 * form a cycle. A dependency on a service disabled by profiles is an error when it is required, and is
 * dropped when it is not.
 */
import { ComposeError, type ModelPath } from './errors.js';
import type { Project, ServiceConfig } from './model.js';

type Locator = (p: ModelPath) => { file?: string; line?: number };

function fail(where: Locator, path: ModelPath, message: string): never {
  throw new ComposeError(message, { ...where(path), path });
}

/** The services a service needs before it can start: depends_on, links, volumes_from, network_mode. */
export function dependenciesOf(s: ServiceConfig): string[] {
  const out = new Set<string>(Object.keys(s.depends_on ?? {}));
  for (const l of (s.links as string[] | undefined) ?? []) out.add(l.split(':')[0]!);
  for (const v of s.volumes_from ?? []) {
    if (!v.startsWith('container:')) out.add(v.split(':')[0]!);
  }
  if (s.network_mode?.startsWith('service:')) out.add(s.network_mode.slice(8));
  return [...out];
}

export function checkReferences(p: Project, where: Locator): void {
  for (const [name, s] of Object.entries(p.services)) {
    const base: ModelPath = ['services', name];
    for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
      if (dep in p.services) continue;
      if (dep in p.disabled) {
        if (!d.required) {
          delete s.depends_on![dep];
          continue;
        }
        const profiles = (p.disabled[dep]!.profiles ?? []).join(', ');
        fail(where, [...base, 'depends_on', dep], `service "${dep}" is required by "${name}" but is disabled; enable it with the profile(s) ${profiles}`);
      }
      fail(where, [...base, 'depends_on', dep], `service "${name}" depends on undefined service "${dep}": invalid compose project`);
    }
    for (const [i, l] of ((s.links as string[] | undefined) ?? []).entries()) {
      const target = l.split(':')[0]!;
      if (!(target in p.services)) fail(where, [...base, 'links', i], `service "${name}" links to undefined service "${target}"`);
    }
    for (const [i, v] of (s.volumes_from ?? []).entries()) {
      if (v.startsWith('container:')) continue;
      const target = v.split(':')[0]!;
      if (!(target in p.services)) fail(where, [...base, 'volumes_from', i], `service "${name}" mounts volumes from undefined service "${target}"`);
    }
    if (s.network_mode?.startsWith('service:') && !(s.network_mode.slice(8) in p.services)) {
      fail(where, [...base, 'network_mode'], `service "${name}" uses the network stack of undefined service "${s.network_mode.slice(8)}"`);
    }
    for (const net of Object.keys(s.networks ?? {})) {
      if (!(net in p.networks)) fail(where, [...base, 'networks', net], `service "${name}" refers to undefined network ${net}: invalid compose project`);
    }
    for (const [i, v] of (s.volumes ?? []).entries()) {
      if (v.type === 'volume' && v.source && !(v.source in p.volumes)) fail(where, [...base, 'volumes', i], `service "${name}" refers to undefined volume ${v.source}: invalid compose project`);
    }
    for (const kind of ['secrets', 'configs'] as const) {
      for (const [i, r] of (s[kind] ?? []).entries()) {
        if (!(r.source in p[kind])) fail(where, [...base, kind, i], `service "${name}" refers to undefined ${kind.slice(0, -1)} ${r.source}: invalid compose project`);
      }
    }
  }
  const cycle = findCycle(Object.fromEntries(Object.entries(p.services).map(([n, s]) => [n, dependenciesOf(s).filter((d) => d in p.services)])));
  if (cycle) fail(where, ['services', cycle[0]!, 'depends_on'], `dependency cycle detected: ${cycle.join(' -> ')}`);
}

/** A cycle in a dependency graph, as a path that starts and ends at the same node, or undefined. */
export function findCycle(graph: Record<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph[n] ?? []) {
      const st = state.get(d);
      if (st === 1) return [...stack.slice(stack.indexOf(d)), d];
      if (st === undefined) {
        const c = visit(d);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 2);
    return undefined;
  };
  for (const n of Object.keys(graph).sort()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}
