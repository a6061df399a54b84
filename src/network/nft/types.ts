/**
 * What the firewall planner needs to know: this daemon's networks, the endpoints on their bridges and
 * the published ports. The network service builds one FirewallState from its records; the planner
 * turns it into an nftables script (pure), and the executor applies that script atomically.
 */

export interface FirewallNetwork {
  /** network id (for comments) */
  id: string;
  /** Linux bridge name, e.g. "berth0" or "br-0123456789ab" */
  bridge: string;
  /** IPv4 subnet in CIDR form, e.g. "172.18.0.0/16" */
  subnet: string;
  gateway: string;
  /** --internal: no traffic in or out of the network except between its own containers */
  internal: boolean;
  /** inter-container communication on this bridge (daemon `icc`, option com.docker.network.bridge.enable_icc) */
  icc: boolean;
  /** masquerade traffic leaving the network (daemon `ip-masq`, option com.docker.network.bridge.enable_ip_masquerade) */
  masquerade: boolean;
  /** where the embedded resolver of this network listens (its gateway), if it has one */
  dns?: string;
}

export interface FirewallEndpoint {
  /** bridge of the network the endpoint is on */
  bridge: string;
  /** host side of the veth pair (a port of the bridge) */
  hostIface: string;
  /** the container's address and MAC on that network: nothing else may leave this port */
  ip: string;
  mac: string;
}

export interface FirewallPort {
  proto: 'tcp' | 'udp' | 'sctp';
  /** host address to match ("" or "0.0.0.0" for every local address) */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  /** bridge of the network the container is reached on */
  bridge: string;
}

export interface FirewallState {
  /** name of this daemon's tables (the same name in the inet and bridge families) */
  table: string;
  networks: FirewallNetwork[];
  endpoints: FirewallEndpoint[];
  ports: FirewallPort[];
  /**
   * Reach published ports from the host through 127.0.0.1 in the kernel (DNAT in output, masquerade,
   * route_localnet on the bridge). False when the userland proxy serves loopback instead.
   */
  loopbackDnat: boolean;
}
