/**
 * Docker's network filters: for `GET /networks` (driver, id, name, label, scope, type, dangling) and for
 * `POST /networks/prune` (until, label, label!). Values of one key are OR'ed (all must hold for the
 * prune labels), keys are AND'ed; an unknown key is Docker's 400.
 */
import { invalidArgument } from '../core/errors.js';
import { pruneUntil } from '../core/timestamps.js';
import type { NetworkRecord } from './record.js';

function labelMatch(labels: Record<string, string>, f: string): boolean {
  const i = f.indexOf('=');
  return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
}

export function matchesFilters(n: NetworkRecord, f: Record<string, string[]>): boolean {
  for (const [k, vals] of Object.entries(f)) {
    if (!vals.length) continue;
    const ok = vals.some((v) => {
      switch (k) {
        case 'driver': return n.driver === v;
        case 'id': return n.id.startsWith(v);
        case 'name': return n.name.includes(v);
        case 'label': return labelMatch(n.labels, v);
        case 'scope': return v === 'local';
        case 'type': return v === 'custom' ? !n.predefined : v === 'builtin' ? n.predefined : false;
        case 'dangling': return (v === 'true' || v === '1') === (!n.predefined && Object.keys(n.endpoints).length === 0);
        default: throw invalidArgument(`invalid filter '${k}'`);
      }
    });
    if (!ok) return false;
  }
  return true;
}

export function matchesPruneFilters(n: NetworkRecord, f: Record<string, string[]>): boolean {
  for (const [k, vals] of Object.entries(f)) {
    if (!vals.length) continue;
    if (k === 'until') {
      // Docker's timestamps, dates and durations ("24h": created more than a day ago)
      if (BigInt(Date.parse(n.created)) * 1_000_000n > pruneUntil(f)!) return false;
    } else if (k === 'label') {
      if (!vals.every((v) => labelMatch(n.labels, v))) return false;
    } else if (k === 'label!') {
      if (vals.some((v) => labelMatch(n.labels, v))) return false;
    } else {
      throw invalidArgument(`invalid filter '${k}'`);
    }
  }
  return true;
}
