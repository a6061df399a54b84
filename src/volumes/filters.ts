/**
 * Docker's volume filters, pure. List: dangling, driver, label (key or key=value), name (a regular
 * expression, as moby's filters.Match). Prune: label, label!, all (only anonymous volumes unless
 * all=true). Unknown keys and bad values fail with moby's `invalid filter ...` texts.
 */
import { invalidArgument } from '../core/errors.js';
import { ANONYMOUS_LABEL, type VolumeRecord } from './record.js';

export type Filters = Record<string, string[]>;

const LIST_KEYS = new Set(['dangling', 'name', 'driver', 'label']);
const PRUNE_KEYS = new Set(['label', 'label!', 'all']);

/** What a filter needs to know about a volume besides its record. */
export interface FilterContext {
  inUse(name: string): boolean;
}

function invalidFilter(key: string, values?: string[]): Error {
  return invalidArgument(values ? `invalid filter '${key}=${values.join(',')}'` : `invalid filter '${key}'`);
}

function validate(f: Filters, accepted: Set<string>): void {
  for (const k of Object.keys(f)) if (!accepted.has(k)) throw invalidFilter(k);
}

/** filters.GetBoolOrDefault: one value among true/false/1/0 (any case). */
function boolFilter(f: Filters, key: string): boolean | undefined {
  const vals = f[key];
  if (!vals || vals.length === 0) return undefined;
  if (vals.length > 1) throw invalidFilter(key, vals);
  const v = (vals[0] as string).toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidFilter(key, vals);
}

/** filters.MatchKVList: every `key` / `key=value` is present among the labels. */
function matchLabels(values: string[] | undefined, labels: Record<string, string> | null): boolean {
  if (!values || values.length === 0) return true;
  if (!labels || Object.keys(labels).length === 0) return false;
  return values.every((v) => {
    const i = v.indexOf('=');
    const k = i < 0 ? v : v.slice(0, i);
    if (!Object.prototype.hasOwnProperty.call(labels, k)) return false;
    return i < 0 || labels[k] === v.slice(i + 1);
  });
}

/** filters.Match: an exact value, or a regular expression found in the name. */
function matchName(values: string[], name: string): boolean {
  return values.some((v) => {
    if (v === name) return true;
    try {
      return new RegExp(v).test(name);
    } catch {
      return false;
    }
  });
}

/** GET /volumes filtering. */
export function filterVolumes(recs: readonly VolumeRecord[], f: Filters, ctx: FilterContext): VolumeRecord[] {
  validate(f, LIST_KEYS);
  const dangling = boolFilter(f, 'dangling');
  return recs.filter((r) => {
    if (f.driver?.length && !f.driver.includes(r.driver)) return false;
    if (f.name?.length && !matchName(f.name, r.name)) return false;
    if (!matchLabels(f.label, r.labels)) return false;
    if (dangling !== undefined && ctx.inUse(r.name) === dangling) return false;
    return true;
  });
}

/**
 * The label filters of a prune, with Docker's `all` handling: without all=true only anonymous volumes
 * are candidates (the anonymous label is added to the label filter).
 */
export function pruneFilters(f: Filters): { label: string[]; notLabel: string[] } {
  validate(f, PRUNE_KEYS);
  const all = f.all ?? [];
  let everything = false;
  if (all.length > 1) throw invalidArgument(`invalid filter 'all=[${all.join(' ')}]': only one value is expected`);
  if (all.length === 1) {
    const v = all[0] as string;
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) everything = true;
    else if (!['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) {
      throw invalidArgument(`invalid filter 'all': strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
  }
  const label = [...(f.label ?? [])];
  if (!everything) label.push(ANONYMOUS_LABEL);
  return { label, notLabel: [...(f['label!'] ?? [])] };
}

/** Does a volume pass the label filters of a prune (label!: excluded when all of them match). */
export function pruneMatches(r: VolumeRecord, p: { label: string[]; notLabel: string[] }): boolean {
  if (!matchLabels(p.label, r.labels)) return false;
  if (p.notLabel.length > 0 && matchLabels(p.notLabel, r.labels)) return false;
  return true;
}
