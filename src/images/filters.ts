/** GET /images/json filters, as moby's daemon/images/images.go. Pure. */
import { invalidArgument } from '../core/errors.js';
import type { ImageRecord } from './record.js';
import { globRegExp } from '../core/glob.js';

const ACCEPTED = new Set(['dangling', 'label', 'before', 'since', 'reference', 'until']);

/** Image filters: each key holds the values given (Docker's `filters` query parameter). */
export type ImageFilters = Record<string, string[]>;

function createdMs(img: ImageRecord): number {
  const t = Date.parse(img.config.created ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** `until`: a unix timestamp (seconds, may be fractional), an RFC 3339 date, or a Go duration ago. */
function parseTimestamp(v: string, now: number): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(\d+)(s|m|h)$/.exec(v);
  if (dur) return now - Number(dur[1]) * { s: 1e3, m: 60e3, h: 3600e3 }[dur[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return t;
}

function labelMatches(img: ImageRecord, want: string): boolean {
  const labels = img.config.config?.Labels ?? {};
  const eq = want.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, want);
  const [k, v] = [want.slice(0, eq), want.slice(eq + 1)];
  return Object.hasOwn(labels, k) && labels[k] === v;
}

/** Docker's reference.FamiliarMatch: the pattern is matched against `name:tag` and against `name`. */
function referenceMatches(ref: string, pattern: string): boolean {
  const re = globRegExp(pattern);
  const name = ref.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  return re.test(ref) || re.test(name);
}

/**
 * Applies the filters. `resolve` looks images up for before/since (NotFound propagates, as Docker).
 * Unknown keys and malformed values are InvalidArgument.
 */
export function filterImages(
  images: ImageRecord[],
  filters: ImageFilters,
  resolve: (ref: string) => ImageRecord,
  now = Date.now(),
): ImageRecord[] {
  for (const key of Object.keys(filters)) {
    if (!ACCEPTED.has(key)) throw invalidArgument(`invalid filter '${key}'`);
  }
  let dangling: boolean | undefined;
  for (const v of filters['dangling'] ?? []) {
    const b = v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : undefined;
    if (b === undefined) throw invalidArgument(`invalid filter 'dangling=${v}'`);
    dangling = b;
  }
  const before = (filters['before'] ?? []).map((r) => createdMs(resolve(r)));
  const since = (filters['since'] ?? []).map((r) => createdMs(resolve(r)));
  const until = (filters['until'] ?? []).map((v) => parseTimestamp(v, now));
  const labels = filters['label'] ?? [];
  const refs = filters['reference'] ?? [];
  return images.filter((img) => {
    const isDangling = img.repoTags.length === 0 && img.repoDigests.length === 0;
    if (dangling !== undefined && isDangling !== dangling) return false;
    const t = createdMs(img);
    if (before.some((b) => t >= b) || since.some((s) => t <= s) || until.some((u) => t >= u)) return false;
    if (!labels.every((l) => labelMatches(img, l))) return false;
    return true;
  }).flatMap((img) => {
    if (refs.length === 0) return [img];
    // as dockerd: only the references that match stay on the listed image
    const keep = (r: string) => refs.some((p) => referenceMatches(r, p));
    const repoTags = img.repoTags.filter(keep);
    const repoDigests = img.repoDigests.filter(keep);
    return repoTags.length + repoDigests.length > 0 ? [{ ...img, repoTags, repoDigests }] : [];
  });
}
