/** `images` rows as docker's formatter.ImageContext renders them. */
import type { HistoryItem, ImageSummary } from '../../api/types.js';
import type { FormatSpec } from './template.js';
import { goTimeString, humanSize, humanSizeWithPrecision, timeAgo, truncateId } from './humanize.js';

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'VIRTUAL SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** One row per repo:tag (or one `<none>:<none>` row), as `docker images` lists them. */
export interface ImageRow {
  image: ImageSummary;
  repository: string;
  tag: string;
  digest: string;
}

function splitRepoTag(ref: string): [string, string] {
  const at = ref.indexOf('@');
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = noDigest.lastIndexOf(':');
  if (colon > noDigest.lastIndexOf('/')) return [noDigest.slice(0, colon), noDigest.slice(colon + 1)];
  return [noDigest, '<none>'];
}

/** docker's imageFormat row expansion (dangling images only with -a or when untagged). */
export function imageRows(images: readonly ImageSummary[], digests: boolean): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const repoDigests = new Map<string, string[]>();
    for (const d of img.RepoDigests ?? []) {
      const at = d.indexOf('@');
      if (at < 0) continue;
      const repo = d.slice(0, at);
      (repoDigests.get(repo) ?? repoDigests.set(repo, []).get(repo))?.push(d.slice(at + 1));
    }
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const seenRepos = new Set<string>();
    for (const t of tags) {
      const [repo, tag] = splitRepoTag(t);
      seenRepos.add(repo);
      const ds = repoDigests.get(repo) ?? [];
      if (digests && ds.length > 0) for (const d of ds) rows.push({ image: img, repository: repo, tag, digest: d });
      else rows.push({ image: img, repository: repo, tag, digest: ds[0] ?? '<none>' });
    }
    for (const [repo, ds] of repoDigests) {
      if (seenRepos.has(repo)) continue;
      for (const d of digests ? ds : ds.slice(0, 1)) rows.push({ image: img, repository: repo, tag: '<none>', digest: d });
    }
    if (tags.length === 0 && repoDigests.size === 0) rows.push({ image: img, repository: '<none>', tag: '<none>', digest: '<none>' });
  }
  return rows;
}

export function imageContext(r: ImageRow, trunc: boolean, now: number = Date.now()): Record<string, unknown> {
  const img = r.image;
  const na = (n: number | undefined) => (n === undefined || n < 0 ? 'N/A' : String(n));
  return {
    Containers: na(img.Containers),
    CreatedAt: goTimeString(new Date(img.Created * 1000)),
    CreatedSince: timeAgo(img.Created, now),
    Digest: r.digest,
    ID: trunc ? truncateId(img.Id) : img.Id,
    Repository: r.repository,
    SharedSize: img.SharedSize === undefined || img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize),
    Size: humanSizeWithPrecision(img.Size, 3),
    Tag: r.tag,
    UniqueSize: img.SharedSize === undefined || img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize),
    VirtualSize: humanSize(img.VirtualSize ?? img.Size),
  };
}

export function imageSpec(trunc: boolean): FormatSpec<ImageRow> {
  return { headers: IMAGE_HEADERS, context: (r) => imageContext(r, trunc) };
}

export function imagesTable(rows: readonly ImageRow[], opts: { trunc: boolean; digests: boolean; now?: number }): string[][] {
  const head = opts.digests ? ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE'] : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
  const out = [head];
  for (const r of rows) {
    const x = imageContext(r, opts.trunc, opts.now);
    const row = [x.Repository, x.Tag, x.ID, x.CreatedSince, x.Size] as string[];
    if (opts.digests) row.splice(2, 0, x.Digest as string);
    out.push(row);
  }
  return out;
}

/** `docker history` columns (formatter.HistoryContext). */
export function historyContext(h: HistoryItem, opts: { trunc: boolean; human: boolean }, now: number = Date.now()): Record<string, unknown> {
  let createdBy = h.CreatedBy.replace(/\t/g, ' ');
  if (opts.trunc && [...createdBy].length > 45) createdBy = `${[...createdBy].slice(0, 44).join('')}…`;
  return {
    ID: h.Id === '<missing>' ? h.Id : opts.trunc ? truncateId(h.Id) : h.Id,
    CreatedSince: opts.human ? timeAgo(h.Created, now) : new Date(h.Created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    CreatedAt: goTimeString(new Date(h.Created * 1000)),
    CreatedBy: createdBy,
    Size: opts.human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
    Comment: h.Comment,
  };
}

export const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT',
};

export function historyTable(items: readonly HistoryItem[], opts: { trunc: boolean; human: boolean; now?: number }): string[][] {
  const out = [['IMAGE', opts.human ? 'CREATED' : 'CREATED AT', 'CREATED BY', 'SIZE', 'COMMENT']];
  for (const h of items) {
    const x = historyContext(h, opts, opts.now);
    out.push([x.ID, x.CreatedSince, x.CreatedBy, x.Size, x.Comment] as string[]);
  }
  return out;
}
