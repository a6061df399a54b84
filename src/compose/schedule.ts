/**
 * What goes first in `up`: the services on a chain of dependencies (a dependent waits for a dependency's
 * start, health or completion) are created and started ahead of the others, and the others make way around the
 * probes the daemon is about to run for the chain, whose timing follows Docker's health monitor (moby
 * daemon/health.go: the first probe one interval after the start, or one start interval inside the start
 * period; the next one an interval after the end of the last).
 */
import type { ContainerInspect } from '../api/types.js';
import type { Project, ServiceConfig } from './model.js';
import { containerRefsOf } from './planner.js';
import { dependenciesOf } from './references.js';

/** The services whose containers a service names at create (links, volumes_from, service: modes). */
export function createDependenciesOf(s: ServiceConfig): string[] {
  return [...new Set([...containerRefsOf(s), ...((s.links as string[] | undefined) ?? []).map((l) => l.split(':')[0]!)])];
}

/**
 * The services on a chain of dependencies among `names` (each that depends on another, and that other):
 * each link of a chain waits for the one before it to start (or be healthy, or complete), so their starts
 * are the path the whole `up` waits on.
 */
export function criticalServices(p: Project, names: string[]): Set<string> {
  const out = new Set<string>();
  for (const n of names) {
    for (const d of dependenciesOf(p.services[n]!)) {
      if (!names.includes(d) || d === n) continue;
      out.add(n);
      out.add(d);
    }
  }
  return out;
}

/** How long before the daemon's expected probe the other services' work makes way (about one start). */
export const PROBE_LEAD_MS = 100;
/** How many of the other services' creates and starts the daemon gets at a time while a chain is under way. */
export const BACKGROUND = 2;
/** How long other work waits for one expected probe at most (a late or failing probe is no reason to stop it). */
export const PROBE_HOLD_MS = 500;

/**
 * When the daemon runs a starting container's next probe, as Docker: the start interval inside the
 * start period, else the interval, counted from the start or from the end of the last probe.
 */
export function nextProbeAt(info: Pick<ContainerInspect, 'Config' | 'State'>): number {
  const h = info.Config.Healthcheck ?? {};
  const ms = (ns: number | undefined, dflt: number) => (ns && ns > 0 ? ns / 1e6 : dflt);
  const started = Date.parse(info.State.StartedAt);
  const last = info.State.Health?.Log?.at(-1);
  const from = last ? Date.parse(last.End) : started;
  const inStart = from - started < ms(h.StartPeriod, 0);
  return from + (inStart ? ms(h.StartInterval, 5000) : ms(h.Interval, 30000));
}
