/**
 * A container's file system: /containers/{id}/archive (HEAD stat, GET a tar of a path, PUT a tar into a
 * directory), /containers/{id}/export, /containers/{id}/changes and POST /commit.
 */
import type { ContainerConfig } from '../../api/types.js';
import type { ContainerFs } from '../../containers/fs/index.js';
import { invalidArgument } from '../../core/errors.js';
import { qBool, type Ctx, type Router } from '../http.js';

export interface ArchiveRouteDeps {
  /** the service, which may be loaded on first use (its tar streams are not small) */
  fs: () => Promise<ContainerFs>;
}

const TAR = 'application/x-tar';
const STAT_HEADER = 'X-Docker-Container-Path-Stat';

function abortOnClose(ctx: Ctx): AbortSignal {
  const ac = new AbortController();
  ctx.onClose(() => ac.abort());
  return ac.signal;
}

export function archiveRoutes(r: Router, deps: ArchiveRouteDeps): void {
  // HEAD comes here too (the router serves HEAD with the GET route)
  r.add('GET', '/containers/{id}/archive', async (ctx) => {
    const fs = await deps.fs();
    const p = ctx.query.get('path') ?? '';
    if (ctx.req.method === 'HEAD') {
      ctx.send(200, undefined, { [STAT_HEADER]: await fs.stat(ctx.params[0], p), 'Content-Type': TAR });
      return;
    }
    await fs.archive(ctx.params[0], p, (stat) => {
      ctx.res!.setHeader(STAT_HEADER, stat);
      return ctx.stream(200, TAR);
    }, abortOnClose(ctx));
  });
  r.add('PUT', '/containers/{id}/archive', async (ctx) => {
    const fs = await deps.fs();
    const q = ctx.query;
    await fs.extract(ctx.params[0], q.get('path') ?? '', ctx.req, {
      noOverwriteDirNonDir: qBool(q, 'noOverwriteDirNonDir'), copyUIDGID: qBool(q, 'copyUIDGID'),
    });
    ctx.send(200);
  });
  r.add('GET', '/containers/{id}/export', async (ctx) => {
    const fs = await deps.fs();
    await fs.export(ctx.params[0], () => ctx.stream(200, TAR), abortOnClose(ctx));
  });
  r.add('GET', '/containers/{id}/changes', async (ctx) => {
    const fs = await deps.fs();
    const changes = await fs.changes(ctx.params[0]);
    ctx.send(200, changes.length ? changes : null);
  });
  r.add('POST', '/commit', async (ctx) => {
    const fs = await deps.fs();
    const q = ctx.query;
    const body = await ctx.json();
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) throw invalidArgument('invalid container config: expected a JSON object');
    const id = await fs.commit({
      container: q.get('container') ?? '', repo: q.get('repo') || undefined, tag: q.get('tag') || undefined,
      comment: q.get('comment') ?? undefined, author: q.get('author') ?? undefined, pause: qBool(q, 'pause', true),
      changes: q.getAll('changes').filter(Boolean), config: (body ?? undefined) as ContainerConfig | undefined,
    });
    ctx.send(201, { Id: id });
  });
}
