/**
 * What NetworkService is made with (daemon.json's networking keys, the daemon's names, the subsystems it
 * calls) and what it gives the container lifecycle for a container's /etc files.
 */
import type { EventBus } from '../core/events.js';
import type { ContainerLookup } from './endpoint.js';
import type { HostEntry } from './files.js';
import type { NetHost } from './host.js';
import type { FirewallState } from './nft/types.js';
import type { AddressPool } from './ipam.js';
import type { NetworkStore } from './store.js';

/** daemon.json's networking keys (parsed in src/daemon/config.ts) */
export interface NetworkOptions {
  pools: AddressPool[];
  mtu: number;
  icc: boolean;
  ipForward: boolean;
  ipMasq: boolean;
  userlandProxy: boolean;
}

export interface NetworkConfig extends NetworkOptions {
  /** name of this daemon's nft tables (derived from its data root) */
  table: string;
  /** the default bridge (--bridge) and its address (--bip) */
  defaultBridge: string;
  bip?: string;
  /** daemon.json `dns` */
  dns: string[];
}

export interface NetworkDeps {
  store: NetworkStore;
  containers: ContainerLookup;
  events: EventBus;
  firewall: {
    apply(s: FirewallState): Promise<void>;
    remove(table: string): Promise<void>;
    /** load a ruleset into the network namespace of process `pid` (the embedded DNS redirect) */
    applyInNamespace(pid: number, script: string): Promise<void>;
    /** look at the host's other firewalls again; what was found and done there (nft/hostfw-apply.ts) */
    checkHost?(s: FirewallState): Promise<void>;
    warnings?(): string[];
  };
  dns: { listen(address: string): Promise<void>; close(address: string): Promise<void>; closeAll(): Promise<void> };
  hostResolvConf(): Promise<string>;
  log(msg: string): void;
  /** the host calls (default: the real host) */
  host?: NetHost;
}

/** What the container lifecycle needs for the container's /etc files. */
export interface PreparedNetworking {
  /** the container's address on its first network (for its own /etc/hosts line) */
  selfIp?: string;
  /** legacy links on the default bridge: /etc/hosts entries */
  links: HostEntry[];
  /** on a user-defined network: resolv.conf points at 127.0.0.11 */
  embeddedDns: boolean;
}
