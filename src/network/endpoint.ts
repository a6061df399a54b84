/**
 * The container as the network subsystem sees it. The container service owns the container's record
 * and persists it; NetworkService reads what it needs from a NetContainer and fills in the container's
 * endpoints (`networks`: addresses, MACs) and published ports (`published`) while it prepares, wires
 * and releases its networking.
 */
import type { ContainerConfig, ContainerState, EndpointSettings, HostConfig } from '../api/types.js';

/** Ports published for a running container (what `docker port` shows), kept to rebuild rules after a restart. */
export interface PublishedPorts {
  bindings: { proto: 'tcp' | 'udp' | 'sctp'; containerPort: number; hostIp: string; hostPort: number }[];
  /** the container address and bridge the bindings lead to */
  ip: string;
  bridge: string;
}

export interface NetContainer {
  readonly id: string;
  /** with Docker's leading slash: "/web" */
  readonly name: string;
  readonly config: Pick<ContainerConfig, 'ExposedPorts'>;
  readonly hostConfig: Pick<HostConfig, 'NetworkMode' | 'Dns' | 'DnsSearch' | 'DnsOptions' | 'Links' | 'PortBindings' | 'PublishAllPorts'>;
  readonly state: Pick<ContainerState, 'Status' | 'Pid'>;
  /** the container's endpoints by network name, with Docker's EndpointSettings (addresses filled while running) */
  networks?: Record<string, EndpointSettings>;
  /** host ports while the container runs */
  published?: PublishedPorts;
  /** the container's /etc/resolv.conf on the host (bind-mounted): rewritten when it joins or leaves the embedded DNS */
  readonly resolvConfPath?: string;
}

/** Read access to the containers (the container service's store). */
export interface ContainerLookup {
  get(id: string): NetContainer | undefined;
  all(): NetContainer[];
  /** by id, name or unique id prefix; NotFound otherwise */
  resolve(ref: string): NetContainer;
}
