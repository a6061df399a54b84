/**
 * BerthClient: the typed Docker Engine API client over the daemon's unix socket.
 * Resources are grouped as in the API: client.containers, client.images, client.networks, client.volumes, client.exec.
 */
import type { IncomingMessage } from 'node:http';
import type { ContainerSummary, EventMessage, ImageSummary, SystemInfo, SystemVersion } from '../api/types.js';
import type { Volume } from '../api/volumes.js';
import { ContainersApi } from './containers.js';
import { ExecApi } from './exec.js';
import { encodeFilters, type Filters } from './filters.js';
import { API_VERSION, DEFAULT_HOST } from './host.js';
import { ImagesApi } from './images.js';
import { NetworksApi } from './networks.js';
import { VolumesApi } from './volumes.js';
import { jsonStream } from './stream.js';
import { readAll, Transport } from './transport.js';

export interface ClientOptions {
  /** `unix:///path` (default unix:///run/berth/berth.sock); use resolveHost() for -H / env handling */
  host?: string;
  /** API version without the "v" (default 1.47) */
  version?: string;
}

export interface EventsOptions {
  since?: string;
  until?: string;
  filters?: Filters;
}

export interface EventStream extends AsyncIterable<EventMessage> {
  close(): void;
}

export class BerthClient {
  readonly host: string;
  readonly transport: Transport;
  readonly containers: ContainersApi;
  readonly images: ImagesApi;
  readonly networks: NetworksApi;
  readonly volumes: VolumesApi;
  readonly exec: ExecApi;

  constructor(opts: ClientOptions = {}) {
    this.host = opts.host ?? DEFAULT_HOST;
    this.transport = new Transport(this.host, opts.version ?? API_VERSION);
    this.containers = new ContainersApi(this.transport);
    this.images = new ImagesApi(this.transport);
    this.networks = new NetworksApi(this.transport);
    this.volumes = new VolumesApi(this.transport);
    this.exec = new ExecApi(this.transport);
  }

  /** GET /system/df: disk usage of images, containers and volumes. */
  df(): Promise<{ LayersSize: number; Images: ImageSummary[]; Containers: ContainerSummary[]; Volumes: Volume[]; BuildCache: unknown[] }> {
    return this.transport.json({ method: 'GET', path: '/system/df' });
  }

  /** POST /build/prune: the build cache (`system prune` asks for it, as the docker CLI does). */
  buildPrune(opts: { all?: boolean; filters?: Filters } = {}): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.transport.json({ method: 'POST', path: '/build/prune', query: { all: opts.all ? '1' : undefined, filters: encodeFilters(opts.filters) } });
  }

  /** POST /auth: checks credentials against a registry (docker login). */
  login(auth: { username?: string; password?: string; serveraddress?: string; identitytoken?: string }): Promise<{ Status: string; IdentityToken?: string }> {
    return this.transport.json({ method: 'POST', path: '/auth', body: auth });
  }

  /** GET /_ping: "OK". */
  async ping(): Promise<string> {
    const res = await this.transport.request({ method: 'GET', path: '/_ping', unversioned: true });
    return readAll(res);
  }

  version(): Promise<SystemVersion> {
    return this.transport.json({ method: 'GET', path: '/version' });
  }

  info(): Promise<SystemInfo> {
    return this.transport.json({ method: 'GET', path: '/info' });
  }

  /** GET /events: a stream of events until `until` (or forever); close() ends it early. */
  async events(opts: EventsOptions = {}): Promise<EventStream> {
    const ac = new AbortController();
    let res: IncomingMessage;
    try {
      res = await this.transport.request({
        method: 'GET',
        path: '/events',
        query: { since: opts.since, until: opts.until, filters: encodeFilters(opts.filters) },
        signal: ac.signal,
      });
    } catch (err) {
      throw err;
    }
    const iter = jsonStream<EventMessage>(res);
    return {
      close: () => {
        res.destroy();
        ac.abort();
      },
      [Symbol.asyncIterator]: () => wrapAbort(iter),
    };
  }
}

/** Ends iteration quietly when the stream was closed on purpose. */
async function* wrapAbort<T>(it: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* it;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ABORT_ERR' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET') return;
    throw err;
  }
}
