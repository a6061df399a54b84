/** /networks endpoints. */
import type {
  EndpointSettings,
  NetworkConnectRequest,
  NetworkCreateRequest,
  NetworkCreateResponse,
  NetworkDisconnectRequest,
  NetworkPruneResponse,
  NetworkResource,
} from '../api/types.js';
import { invalidArgument } from '../core/errors.js';
import { encodeFilters, type Filters } from './filters.js';
import type { Transport } from './transport.js';

const enc = encodeURIComponent;

export interface NetworkInspectOptions {
  /** detailed inspect output for troubleshooting (swarm services and tasks) */
  verbose?: boolean;
  /** swarm | global | local */
  scope?: string;
}

/** As docker's client: surrounding blanks are dropped, and an empty name never reaches the daemon. */
export function trimId(kind: 'network' | 'container', id: string): string {
  const s = id.trim();
  if (s === '') throw invalidArgument(`invalid ${kind} name or ID: value is empty`);
  return s;
}

export class NetworksApi {
  constructor(private readonly t: Transport) {}

  /** GET /networks */
  list(opts: { filters?: Filters } = {}): Promise<NetworkResource[]> {
    return this.t.json({ method: 'GET', path: '/networks', query: { filters: encodeFilters(opts.filters) } });
  }

  /** GET /networks/{id} */
  async inspect(id: string, opts: NetworkInspectOptions = {}): Promise<NetworkResource> {
    return this.t.json({ method: 'GET', path: `/networks/${enc(trimId('network', id))}`, query: { verbose: opts.verbose, scope: opts.scope || undefined } });
  }

  /** POST /networks/create */
  create(body: NetworkCreateRequest): Promise<NetworkCreateResponse> {
    return this.t.json({ method: 'POST', path: '/networks/create', body });
  }

  /** DELETE /networks/{id} */
  async remove(id: string): Promise<void> {
    return this.t.call({ method: 'DELETE', path: `/networks/${enc(trimId('network', id))}` });
  }

  /** POST /networks/prune */
  prune(filters?: Filters): Promise<NetworkPruneResponse> {
    return this.t.json({ method: 'POST', path: '/networks/prune', query: { filters: encodeFilters(filters) } });
  }

  /** POST /networks/{id}/connect */
  async connect(id: string, container: string, endpointConfig?: EndpointSettings | null): Promise<void> {
    const body: NetworkConnectRequest = { Container: trimId('container', container), EndpointConfig: endpointConfig ?? null };
    return this.t.call({ method: 'POST', path: `/networks/${enc(trimId('network', id))}/connect`, body });
  }

  /** POST /networks/{id}/disconnect */
  async disconnect(id: string, container: string, force = false): Promise<void> {
    const body: NetworkDisconnectRequest = { Container: trimId('container', container), Force: force };
    return this.t.call({ method: 'POST', path: `/networks/${enc(trimId('network', id))}/disconnect`, body });
  }
}
