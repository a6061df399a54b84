/**
 * GET /images/search: the registry's v1 search API (`/v1/search?q=&n=`), as dockerd queries it. The
 * index is the term's first component when it names a registry (has a dot or a port, or is localhost),
 * Docker Hub's index otherwise; filters (is-official, stars, is-automated) are applied here.
 */
import { invalidArgument, unavailable } from '../core/errors.js';
import { basicHeader, type AuthConfig } from './client/auth.js';
import { isInsecure, type RegistryConfig } from './client/endpoints.js';
import { request } from './client/http.js';

export interface SearchResult { star_count: number; is_official: boolean; name: string; is_automated: boolean; description: string }

const HUB_INDEX = 'index.docker.io';
const FILTERS = ['is-automated', 'is-official', 'stars'];

/** The index to ask and the term to send it (dockerd's splitReposSearchTerm). */
export function splitSearchTerm(term: string): { index: string; remote: string; official: boolean } {
  if (term.includes('://')) throw invalidArgument(`invalid repository name: repository name (${term}) should not have a scheme`);
  const slash = term.indexOf('/');
  const first = slash < 0 ? '' : term.slice(0, slash);
  if (slash < 0 || (!first.includes('.') && !first.includes(':') && first !== 'localhost')) {
    return { index: HUB_INDEX, remote: term.replace(/^library\//, ''), official: true };
  }
  const index = first === 'docker.io' || first === 'index.docker.io' ? HUB_INDEX : first;
  return { index, remote: term.slice(slash + 1), official: index === HUB_INDEX };
}

const truth = (v: string, name: string): boolean => {
  if (['1', 'true', 'True', 'TRUE'].includes(v)) return true;
  if (['0', 'false', 'False', 'FALSE'].includes(v)) return false;
  throw invalidArgument(`invalid filter '${name}=${v}'`);
};

/** Filters as dockerd's Search applies them; a pure function of the index's answer. */
export function filterResults(results: SearchResult[], filters: Record<string, string[]>): SearchResult[] {
  for (const k of Object.keys(filters)) if (!FILTERS.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  const automated = (filters['is-automated'] ?? []).some((v) => truth(v, 'is-automated'));
  if (automated) return [];
  const official = filters['is-official']?.length ? filters['is-official'].map((v) => truth(v, 'is-official')).at(-1)! : undefined;
  let minStars = 0;
  for (const s of filters.stars ?? []) {
    if (!/^-?\d+$/.test(s)) throw invalidArgument(`invalid filter 'stars=${s}'`);
    minStars = Math.max(minStars, Number(s));
  }
  return results
    .filter((r) => official === undefined || r.is_official === official)
    .filter((r) => !filters.stars || r.star_count >= minStars)
    .map((r) => ({ ...r, is_automated: false }));
}

export async function searchRegistry(registries: RegistryConfig, term: string, limit: number | undefined, filters: Record<string, string[]>, creds?: AuthConfig): Promise<SearchResult[]> {
  filterResults([], filters); // bad filters fail before any request
  const n = limit || 25;
  if (n < 1 || n > 100) throw invalidArgument(`limit ${n} is outside the range of [1, 100]`);
  const { index, remote } = splitSearchTerm(term);
  const bases = [`https://${index}`, ...(await isInsecure(index, registries) ? [`http://${index}`] : [])];
  const auth = creds ? basicHeader(creds) : undefined;
  let lastErr: unknown;
  for (const base of bases) {
    try {
      const res = await request({
        method: 'GET', url: `${base}/v1/search?q=${encodeURIComponent(remote)}&n=${n}`, proxy: registries.proxy,
        headers: { 'X-Docker-Token': 'true', ...(auth ? { Authorization: auth } : {}) }, headerTimeoutMs: 15_000,
      });
      if (res.status !== 200) {
        await res.drain();
        throw unavailable(`unexpected status code ${res.status}`);
      }
      const body = JSON.parse(await res.text(8 << 20)) as { results?: SearchResult[] };
      return filterResults(Array.isArray(body.results) ? body.results : [], filters);
    } catch (err) {
      lastErr = err;
    }
  }
  throw lastErr instanceof Error && 'kind' in lastErr ? lastErr : unavailable(`error searching ${index}: ${(lastErr as Error)?.message ?? 'no answer'}`, lastErr);
}
