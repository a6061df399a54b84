/** The persisted form of a container: what config.v2.json holds in its data dir. */
import type { MountPlan } from '../volumes/mounts.js';
import type { ContainerConfig, ContainerState, EndpointSettings, HostConfig } from '../api/types.js';
import type { PublishedPorts } from '../network/endpoint.js';

export type { PublishedPorts };

export interface ContainerRecord {
  id: string;
  /** with Docker's leading slash: "/web" */
  name: string;
  created: string;
  path: string;
  args: string[];
  /** the effective config: image config merged with the create body */
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** image id (sha256:...) */
  image: string;
  state: ContainerState;
  restartCount: number;
  hasBeenStarted: boolean;
  /** set by stop/kill so that an exit is not taken for a crash (restart policies) */
  manuallyStopped: boolean;
  logPath: string;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  /** diffIDs of the image layers, bottom to top: the rootfs is prepared from these */
  layers: string[];
  /** networks the container is attached to, by network name, with Docker's EndpointSettings (addresses filled while running) */
  networks?: Record<string, EndpointSettings>;
  /** the container's mounts as planned at create (binds, volumes, tmpfs), see src/volumes */
  mounts?: MountPlan[];
  published?: PublishedPorts;
  /** the legacy link variables of the current run (set at start): an exec gets them too, as Docker's does */
  linkEnv?: string[];
}

export function initialState(): ContainerState {
  return {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z',
  };
}

/** A container event's attributes, as dockerd's LogContainerEventWithAttributes: its labels, image and name. */
export function eventAttributes(rec: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, ...(rec.config.Labels ?? {}), ...(rec.config.Image ? { image: rec.config.Image } : {}), name: rec.name.slice(1) };
}
