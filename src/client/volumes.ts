/** /volumes endpoints. */
import { invalidArgument } from '../core/errors.js';
import type { Volume, VolumeCreateRequest, VolumeListResponse, VolumePruneResponse } from '../api/volumes.js';
import { encodeFilters, type Filters } from './filters.js';
import type { Transport } from './transport.js';

const enc = encodeURIComponent;

/** As docker's client: surrounding blanks are dropped, and an empty name never reaches the daemon. */
function volumeName(name: string): string {
  const s = name.trim();
  if (s === '') throw invalidArgument('invalid volume name or ID: value is empty');
  return s;
}

export class VolumesApi {
  constructor(private readonly t: Transport) {}

  /** GET /volumes */
  async list(opts: { filters?: Filters } = {}): Promise<VolumeListResponse> {
    const res = await this.t.json<VolumeListResponse | undefined>({ method: 'GET', path: '/volumes', query: { filters: encodeFilters(opts.filters) } });
    return { Volumes: res?.Volumes ?? [], Warnings: res?.Warnings ?? null };
  }

  /** GET /volumes/{name} */
  async inspect(name: string): Promise<Volume> {
    return this.t.json({ method: 'GET', path: `/volumes/${enc(volumeName(name))}` });
  }

  /** POST /volumes/create (no name: an anonymous volume) */
  create(body: VolumeCreateRequest): Promise<Volume> {
    return this.t.json({ method: 'POST', path: '/volumes/create', body });
  }

  /** DELETE /volumes/{name}; with force a missing volume is no error */
  async remove(name: string, force = false): Promise<void> {
    return this.t.call({ method: 'DELETE', path: `/volumes/${enc(volumeName(name))}`, query: { force } });
  }

  /** POST /volumes/prune (API >= 1.42: anonymous volumes only, unless the `all` filter is true) */
  async prune(filters?: Filters): Promise<VolumePruneResponse> {
    const res = await this.t.json<VolumePruneResponse | undefined>({ method: 'POST', path: '/volumes/prune', query: { filters: encodeFilters(filters) } });
    return { VolumesDeleted: res?.VolumesDeleted ?? [], SpaceReclaimed: res?.SpaceReclaimed ?? 0 };
  }
}
