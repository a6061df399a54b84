/**
 * Berth's route table, for docs/api-coverage.md (scripts/api-coverage.mjs): every route file registered
 * on a router that records them, with placeholder dependencies (registration never calls them; a
 * handler that ran would throw). daemon/main.ts registers the same route files on the real router.
 */
import { Router, type Handler } from '../http.js';
import { archiveRoutes } from './archive.js';
import { containerRoutes } from './containers.js';
import { imageRoutes } from './images.js';
import { networkRoutes } from './networks.js';
import { systemRoutes } from './system.js';
import { volumeRoutes } from './volumes.js';
import { swarmRoutes, pluginRoutes } from './swarm.js';
import { distributionRoutes } from './distribution.js';
import { wsAttachRoutes } from './wsattach.js';
import { buildRoutes } from './build.js';

export interface RouteEntry { method: string; pattern: string }

class RecordingRouter extends Router {
  readonly entries: RouteEntry[] = [];
  override add(method: string, pattern: string, handler: Handler): void {
    this.entries.push({ method, pattern });
    super.add(method, pattern, handler);
  }
}

export function routeTable(): RouteEntry[] {
  const r = new RecordingRouter();
  // any property is another placeholder (route files may pick their dependencies apart); calling one throws
  const none: object = new Proxy(() => undefined, {
    get: () => none,
    apply: () => { throw new Error('route table: a dependency was called at registration'); },
  });
  const deps = <T>() => none as T;
  systemRoutes(r, deps());
  containerRoutes(r, deps());
  wsAttachRoutes(r, deps());
  networkRoutes(r, deps());
  distributionRoutes(r, deps());
  imageRoutes(r, deps());
  volumeRoutes(r, deps());
  archiveRoutes(r, deps());
  buildRoutes(r, deps());
  swarmRoutes(r);
  pluginRoutes(r);
  return r.entries;
}
