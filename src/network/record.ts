/** The persisted form of a network and of the endpoints on it (<dataRoot>/network/<id>.json). */
import type { NetworkResource } from '../api/types.js';

export type DriverName = 'bridge' | 'macvlan' | 'host' | 'null';

export interface EndpointRecord {
  endpointId: string;
  containerId: string;
  /** container name without the leading slash */
  name: string;
  /** interface name inside the container (eth0, eth1, ...) */
  ifname: string;
  /** host side of the veth pair (bridge) or '' (macvlan) */
  hostIface: string;
  ip: string;
  mac: string;
  /** names this endpoint answers to in the embedded DNS: name, short id, aliases */
  dnsNames: string[];
  aliases: string[];
  /** legacy links on user networks: alias -> container name */
  links: string[];
}

export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  driver: DriverName;
  /** bridge, host and none exist in every daemon and cannot be removed */
  predefined: boolean;
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  ipamDriver: string;
  ipamOptions: Record<string, string>;
  /** one IPv4 subnet per network */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses: Record<string, string>;
  /** Linux bridge (bridge driver) */
  bridge?: string;
  /** parent interface (macvlan driver) */
  parent?: string;
  mtu: number;
  endpoints: Record<string, EndpointRecord>;
}

export function prefixLen(subnet: string | undefined): number {
  return subnet ? Number(subnet.split('/')[1]) : 0;
}

/** GET /networks/{id}: Docker's NetworkResource. `withContainers` is false for GET /networks. */
export function networkView(n: NetworkRecord, withContainers = true): NetworkResource {
  const containers: NetworkResource['Containers'] = {};
  if (withContainers) {
    for (const e of Object.values(n.endpoints)) {
      containers[e.containerId] = {
        Name: e.name, EndpointID: e.endpointId, MacAddress: e.mac,
        IPv4Address: e.ip ? `${e.ip}/${prefixLen(n.subnet)}` : '', IPv6Address: '',
      };
    }
  }
  const config = n.subnet
    ? [{
      Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}),
      ...(Object.keys(n.auxAddresses).length ? { AuxiliaryAddresses: n.auxAddresses } : {}),
    }]
    : [];
  return {
    Name: n.name, Id: n.id, Created: n.created, Scope: 'local', Driver: n.driver, EnableIPv4: true, EnableIPv6: n.enableIPv6,
    IPAM: { Driver: n.ipamDriver, Options: Object.keys(n.ipamOptions).length ? n.ipamOptions : null, Config: config },
    Internal: n.internal, Attachable: n.attachable, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers, Options: n.options, Labels: n.labels,
  };
}
