/**
 * Which containers POST /containers/prune removes, as dockerd's ContainersPrune: every container that is
 * not running (created, exited, dead), narrowed by the filters it accepts:
 *   until=<timestamp|duration|date>  created at or before that time (one value only)
 *   label=<key>[=<value>]            has all of these labels
 *   label!=<key>[=<value>]           does not have all of these labels
 * Any other key is Docker's 400 `invalid filter '<key>'`.
 */
import { invalidArgument } from '../core/errors.js';
import { pruneUntil } from '../core/timestamps.js';
import type { ContainerRecord } from './record.js';

const ACCEPTED = new Set(['label', 'label!', 'until']);
const PRUNABLE = new Set(['created', 'exited', 'dead']);

/** filters.Args.MatchKVList: every value (key or key=value) is among `labels` (false when there are none). */
export function matchKVList(values: string[], labels: Record<string, string>): boolean {
  if (Object.keys(labels).length === 0) return false;
  return values.every((v) => {
    const i = v.indexOf('=');
    const k = i < 0 ? v : v.slice(0, i);
    return k in labels && (i < 0 || labels[k] === v.slice(i + 1));
  });
}

export { pruneUntil };

export function pruneCandidates(recs: ContainerRecord[], filters: Record<string, string[]>, nowMs: number = Date.now()): ContainerRecord[] {
  for (const k of Object.keys(filters)) if (!ACCEPTED.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  const until = pruneUntil(filters, nowMs);
  const label = filters.label ?? [];
  const notLabel = filters['label!'] ?? [];
  return recs.filter((r) => {
    if (!PRUNABLE.has(r.state.Status)) return false;
    if (until !== undefined && BigInt(Date.parse(r.created)) * 1_000_000n > until) return false;
    const labels = r.config.Labels ?? {};
    if (label.length > 0 && !matchKVList(label, labels)) return false;
    if (notLabel.length > 0 && matchKVList(notLabel, labels)) return false;
    return true;
  });
}
