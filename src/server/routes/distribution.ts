/** GET /distribution/{name}/json and GET /images/search: what a registry holds, without pulling. */
import { invalidArgument } from '../../core/errors.js';
import { parseFilters } from '../../containers/views.js';
import type { Router } from '../http.js';

export interface RegistryLookups {
  /** the manifest descriptor and platforms of `ref` on its registry */
  distribution(ref: string, auth: string | undefined): Promise<unknown>;
  /** the registry's v1 search, filtered as dockerd does */
  search(term: string, limit: number | undefined, filters: Record<string, string[]>, auth: string | undefined): Promise<unknown[]>;
}

const authOf = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h) || undefined;

export function distributionRoutes(r: Router, d: RegistryLookups): void {
  r.add('GET', '/distribution/{name*}/json', async (ctx) => {
    ctx.send(200, await d.distribution(ctx.params[0], authOf(ctx.req.headers['x-registry-auth'])));
  });
  r.add('GET', '/images/search', async (ctx) => {
    const raw = ctx.query.get('limit');
    let limit: number | undefined;
    if (raw) {
      limit = Number(raw);
      if (!/^\d+$/.test(raw)) throw invalidArgument(`invalid limit specified: strconv.Atoi: parsing ${JSON.stringify(raw)}: invalid syntax`);
    }
    const term = ctx.query.get('term') ?? '';
    ctx.send(200, await d.search(term, limit, parseFilters(ctx.query.get('filters')), authOf(ctx.req.headers['x-registry-auth'])));
  });
}
