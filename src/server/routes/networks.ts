/** /networks/* routes: decode and check the request, call the network service, encode Docker's response. */
import type { EndpointSettings, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest } from '../../api/types.js';
import { invalidArgument } from '../../core/errors.js';
import { parseFilters } from '../../containers/views.js';
import type { NetworkService } from '../../network/service.js';
import type { Router } from '../http.js';

type Kind = 'string' | 'boolean' | 'object';
const createFields: Record<string, Kind> = {
  Name: 'string', CheckDuplicate: 'boolean', Driver: 'string', Scope: 'string', Internal: 'boolean', Attachable: 'boolean',
  Ingress: 'boolean', ConfigOnly: 'boolean', ConfigFrom: 'object', IPAM: 'object', EnableIPv4: 'boolean', EnableIPv6: 'boolean',
  Options: 'object', Labels: 'object',
};

function checkTypes(body: unknown, fields: Record<string, Kind>, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument(`invalid JSON: ${what} must be an object`);
  const o = body as Record<string, unknown>;
  for (const [k, kind] of Object.entries(fields)) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (kind === 'object' ? typeof v !== 'object' || Array.isArray(v) : typeof v !== kind) {
      throw invalidArgument(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field ${what}.${k} of type ${kind === 'object' ? 'struct' : kind === 'boolean' ? 'bool' : 'string'}`);
    }
  }
  return o;
}

function stringMap(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') throw invalidArgument(`json: cannot unmarshal ${typeof x} into Go struct field ${field} of type string (key ${k})`);
  }
}

/** connect and disconnect change a container: the container service does them under the container's lock */
export interface NetworkAttachments {
  connectNetwork(network: string, container: string, endpoint: EndpointSettings): Promise<void>;
  disconnectNetwork(network: string, container: string, force: boolean): Promise<void>;
}

export function networkRoutes(r: Router, d: { networks: NetworkService; containers: NetworkAttachments }): void {
  const n = d.networks;
  r.add('GET', '/networks', (ctx) => ctx.send(200, n.list(parseFilters(ctx.query.get('filters')))));
  r.add('GET', '/networks/{id}', (ctx) => ctx.send(200, n.inspect(ctx.params[0])));
  r.add('POST', '/networks/create', async (ctx) => {
    const body = checkTypes(await ctx.json(), createFields, 'CreateRequest');
    stringMap(body.Options, 'CreateRequest.Options');
    stringMap(body.Labels, 'CreateRequest.Labels');
    const ipam = body.IPAM as { Config?: unknown } | undefined;
    if (ipam?.Config !== undefined && ipam.Config !== null && !Array.isArray(ipam.Config)) throw invalidArgument('json: IPAM.Config must be a list');
    ctx.send(201, await n.create(body as unknown as NetworkCreateRequest));
  });
  r.add('DELETE', '/networks/{id}', async (ctx) => {
    await n.remove(ctx.params[0]);
    ctx.send(204);
  });
  r.add('POST', '/networks/prune', async (ctx) => ctx.send(200, await n.prune(parseFilters(ctx.query.get('filters')))));
  r.add('POST', '/networks/{id}/connect', async (ctx) => {
    const body = checkTypes(await ctx.json(), { Container: 'string', EndpointConfig: 'object' }, 'NetworkConnectRequest');
    if (!body.Container) throw invalidArgument('no container specified');
    const req = body as unknown as NetworkConnectRequest;
    await d.containers.connectNetwork(ctx.params[0], req.Container, req.EndpointConfig ?? {});
    ctx.send(200);
  });
  r.add('POST', '/networks/{id}/disconnect', async (ctx) => {
    const body = checkTypes(await ctx.json(), { Container: 'string', Force: 'boolean' }, 'NetworkDisconnectRequest');
    if (!body.Container) throw invalidArgument('no container specified');
    const req = body as unknown as NetworkDisconnectRequest;
    await d.containers.disconnectNetwork(ctx.params[0], req.Container, !!req.Force);
    ctx.send(200);
  });
}
