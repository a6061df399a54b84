/**
 * The registry's request handler: authentication, routing, and the one place where errors become
 * responses (the spec's JSON error body; 500 `UNKNOWN` for anything unexpected). Every response carries
 * `Docker-Distribution-API-Version: registry/2.0`, which `docker login` looks for on `/v2/`.
 */
import type http from 'node:http';
import { BerthError } from '../../core/errors.js';
import { Htpasswd, REALM } from './auth.js';
import { serveBlob, serveUpload, startUpload } from './blobroutes.js';
import { registryError, RegistryError } from './errors.js';
import { serveCatalog, serveManifest, serveReferrers, serveTags } from './manifestroutes.js';
import { checkName } from './names.js';
import type { Registry } from './registry.js';
import { send, sendError, sendJson } from './respond.js';
import { matchRoute, METHODS, paths, type Route } from './routes.js';

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface HandlerOptions {
  htpasswd?: Htpasswd;
  log?: (msg: string) => void;
}

export function createHandler(reg: Registry, opts: HandlerOptions = {}): RequestHandler {
  const log = opts.log ?? (() => {});
  return (req, res) => {
    const started = Date.now();
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    res.on('finish', () => log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    handle(reg, opts.htpasswd, req, res).catch((err: unknown) => fail(req, res, err, log));
  };
}

async function handle(reg: Registry, htpasswd: Htpasswd | undefined, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  // the raw path, not a normalised URL: `a/../b` must be refused as a name, not resolved to `b`
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const pathname = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const route = matchRoute(pathname);
  if (!route) {
    if (!pathname.startsWith('/v2/') && pathname !== '/v2') {
      sendJson(res, 404, registryError('UNSUPPORTED', `no such endpoint: ${pathname}`, { status: 404 }).body());
      return;
    }
    throw registryError('NAME_INVALID', `invalid repository name in path: ${pathname}`);
  }
  if (htpasswd && !(await htpasswd.verify(req.headers.authorization))) {
    throw registryError('UNAUTHORIZED', 'authentication required', { headers: { 'WWW-Authenticate': `Basic realm="${REALM}"` } });
  }
  const method = req.method ?? 'GET';
  if (!METHODS[route.kind].includes(method)) {
    throw registryError('UNSUPPORTED', `method ${method} is not allowed on ${pathname}`, {
      headers: { Allow: METHODS[route.kind].join(', ') },
    });
  }
  if ('name' in route) checkName(route.name);
  try {
    await dispatch(reg, req, res, route, query);
  } catch (err) {
    // a 416 on an upload tells the client where the session stands
    if (err instanceof RegistryError && err.status === 416 && route.kind === 'upload') {
      err.headers.Location = paths.upload(route.name, route.uuid);
      err.headers['Docker-Upload-UUID'] = route.uuid;
    }
    throw err;
  }
}

async function dispatch(reg: Registry, req: http.IncomingMessage, res: http.ServerResponse, route: Route, query: URLSearchParams): Promise<void> {
  switch (route.kind) {
    case 'base':
      sendJson(res, 200, {});
      return;
    case 'catalog':
      return serveCatalog(reg, res, query);
    case 'tags':
      return serveTags(reg, res, route.name, query);
    case 'manifest':
      return serveManifest(reg, req, res, route.name, route.ref, query);
    case 'uploads':
      return startUpload(reg, req, res, route.name, query);
    case 'upload':
      return serveUpload(reg, req, res, route.name, route.uuid, query);
    case 'blob':
      return serveBlob(reg, req, res, route.name, route.digest);
    case 'referrers':
      return serveReferrers(reg, res, route.name, route.digest, query);
  }
}

function fail(req: http.IncomingMessage, res: http.ServerResponse, err: unknown, log: (msg: string) => void): void {
  if (res.headersSent || res.destroyed || req.socket.destroyed) {
    // mid-stream (client went away, disk error): nothing sensible can be sent any more
    if (!(err instanceof RegistryError)) log(`${req.method} ${req.url}: ${(err as Error).message}`);
    res.destroy();
    return;
  }
  let rerr: RegistryError;
  if (err instanceof RegistryError) {
    rerr = err;
  } else if (err instanceof BerthError && err.kind === 'InvalidArgument') {
    rerr = registryError('UNSUPPORTED', err.message, { status: 400 });
  } else {
    log(`${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
    rerr = registryError('UNKNOWN', `internal error: ${(err as Error)?.message ?? String(err)}`);
  }
  if (req.method === 'HEAD') send(res, rerr.status, rerr.headers);
  else sendError(res, rerr);
}
