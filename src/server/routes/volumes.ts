/** /volumes/* routes: decode and check the request, call the volume service, encode Docker's response. */
import { invalidArgument, unavailable } from '../../core/errors.js';
import { parseFilters } from '../../containers/views.js';
import type { Volume, VolumeCreateRequest, VolumeListResponse, VolumePruneResponse } from '../../api/volumes.js';
import { qBool, type Router } from '../http.js';

/** What the routes need of the volume service. */
export interface VolumeApi {
  list(filters: Record<string, string[]>): VolumeListResponse | Promise<VolumeListResponse>;
  inspect(name: string): Volume | Promise<Volume>;
  create(req: VolumeCreateRequest): Promise<Volume>;
  remove(name: string, opts: { force?: boolean }): Promise<void>;
  prune(filters: Record<string, string[]>): Promise<VolumePruneResponse>;
}

const NO_SWARM = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

type Kind = 'string' | 'object';
const createFields: Record<string, Kind> = { Name: 'string', Driver: 'string', DriverOpts: 'object', Labels: 'object', ClusterVolumeSpec: 'object' };

/** Go's name for a JSON value's type, as encoding/json reports it. */
function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function checkCreate(body: unknown): VolumeCreateRequest {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument(`json: cannot unmarshal ${jsonType(body)} into Go value of type volume.CreateOptions`);
  const o = body as Record<string, unknown>;
  for (const [k, kind] of Object.entries(createFields)) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (kind === 'object' ? typeof v !== 'object' || Array.isArray(v) : typeof v !== kind) {
      throw invalidArgument(`json: cannot unmarshal ${jsonType(v)} into Go struct field CreateOptions.${k} of type ${kind === 'object' ? 'map[string]string' : 'string'}`);
    }
    if (kind === 'object' && k !== 'ClusterVolumeSpec') {
      for (const x of Object.values(v as Record<string, unknown>)) {
        if (typeof x !== 'string') throw invalidArgument(`json: cannot unmarshal ${jsonType(x)} into Go struct field CreateOptions.${k} of type string`);
      }
    }
  }
  return o as VolumeCreateRequest;
}

const atLeast = (version: string, min: string): boolean => {
  const [a1, a2] = version.split('.').map(Number) as [number, number];
  const [b1, b2] = min.split('.').map(Number) as [number, number];
  return a1 > b1 || (a1 === b1 && a2 >= b2);
};

export function volumeRoutes(r: Router, d: { volumes: VolumeApi }): void {
  const v = d.volumes;
  r.add('GET', '/volumes', async (ctx) => ctx.send(200, await v.list(parseFilters(ctx.query.get('filters')))));
  r.add('POST', '/volumes/create', async (ctx) => {
    const body = checkCreate(await ctx.json());
    if (body.ClusterVolumeSpec && atLeast(ctx.version, '1.42')) throw unavailable(NO_SWARM);
    ctx.send(201, await v.create({ Name: body.Name, Driver: body.Driver, DriverOpts: body.DriverOpts, Labels: body.Labels }));
  });
  r.add('POST', '/volumes/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    // API 1.42 made prune take only anonymous volumes: older clients get all of them
    if (!atLeast(ctx.version, '1.42') && !(filters.all ?? []).includes('true')) filters.all = [...(filters.all ?? []), 'true'];
    ctx.send(200, await v.prune(filters));
  });
  r.add('GET', '/volumes/{name}', async (ctx) => ctx.send(200, await v.inspect(ctx.params[0] as string)));
  r.add('PUT', '/volumes/{name}', () => {
    throw unavailable('volume update only valid for cluster volumes, but swarm is unavailable');
  });
  r.add('DELETE', '/volumes/{name}', async (ctx) => {
    await v.remove(ctx.params[0] as string, { force: qBool(ctx.query, 'force') });
    ctx.send(204);
  });
}
