/**
 * Swarm-mode routes (/swarm, /nodes, /services, /tasks, /secrets, /configs) and plugin routes
 * (/plugins). Berth has neither swarm mode nor managed plugins, so these answer as dockerd does on a
 * node that never joined a swarm and has no plugin installed: clients (docker-py's test teardown calls
 * `POST /swarm/leave?force=1`, `docker info` reads Swarm.LocalNodeState) get the statuses and texts they
 * expect from Docker instead of a 404 `page not found`.
 */
import { BerthError, notFound, unavailable } from '../../core/errors.js';
import type { Router } from '../http.js';

/** dockerd's errNoSwarm (daemon/cluster/errors.go): leaving when there is nothing to leave */
export const NO_SWARM = 'This node is not part of a swarm';
/** dockerd's errNoManager for a node outside any swarm (daemon/cluster/cluster.go) */
export const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
/** what Berth says where dockerd would create or join a swarm */
export const NO_SWARM_MODE = 'swarm mode is not supported by Berth: this node cannot init or join a swarm';
/** what Berth says where dockerd would fetch or build a plugin */
export const NO_PLUGINS = 'managed plugins are not supported by Berth';

/** /info's Swarm section on a node outside a swarm, as dockerd reports it */
export const SWARM_INFO = { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null };

/** Every swarm-mode path with its method, as the Engine API lists them (the `{id}` paths take one segment). */
export const SWARM_ROUTES: [method: string, path: string][] = [
  ['GET', '/swarm'], ['POST', '/swarm/update'], ['GET', '/swarm/unlockkey'], ['POST', '/swarm/unlock'],
  ['GET', '/nodes'], ['GET', '/nodes/{id}'], ['DELETE', '/nodes/{id}'], ['POST', '/nodes/{id}/update'],
  ['GET', '/services'], ['POST', '/services/create'], ['GET', '/services/{id}'], ['DELETE', '/services/{id}'],
  ['POST', '/services/{id}/update'], ['GET', '/services/{id}/logs'],
  ['GET', '/tasks'], ['GET', '/tasks/{id}'], ['GET', '/tasks/{id}/logs'],
  ['GET', '/secrets'], ['POST', '/secrets/create'], ['GET', '/secrets/{id}'], ['DELETE', '/secrets/{id}'], ['POST', '/secrets/{id}/update'],
  ['GET', '/configs'], ['POST', '/configs/create'], ['GET', '/configs/{id}'], ['DELETE', '/configs/{id}'], ['POST', '/configs/{id}/update'],
];

export function swarmRoutes(r: Router): void {
  const noManager = () => { throw unavailable(NOT_MANAGER); };
  for (const [method, path] of SWARM_ROUTES) r.add(method, path, noManager);
  r.add('POST', '/swarm/leave', () => { throw unavailable(NO_SWARM); });
  r.add('POST', '/swarm/init', () => { throw unavailable(NO_SWARM_MODE); });
  r.add('POST', '/swarm/join', () => { throw unavailable(NO_SWARM_MODE); });
}

export function pluginRoutes(r: Router): void {
  const missing = (name: string) => notFound(`plugin ${JSON.stringify(name)} not found`);
  r.add('GET', '/plugins', (ctx) => ctx.send(200, []));
  r.add('GET', '/plugins/privileges', () => { throw new BerthError('Unavailable', NO_PLUGINS); });
  r.add('POST', '/plugins/pull', () => { throw new BerthError('Unavailable', NO_PLUGINS); });
  r.add('POST', '/plugins/create', () => { throw new BerthError('Unavailable', NO_PLUGINS); });
  for (const verb of ['enable', 'disable', 'push', 'upgrade', 'set']) {
    r.add('POST', `/plugins/{name*}/${verb}`, (ctx) => { throw missing(ctx.params[0]); });
  }
  r.add('GET', '/plugins/{name*}/json', (ctx) => { throw missing(ctx.params[0]); });
  r.add('DELETE', '/plugins/{name*}', (ctx) => { throw missing(ctx.params[0]); });
}
