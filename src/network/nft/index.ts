/** nftables firewall: the pure planner (plan.ts) and the one executor that pipes its script to nft (apply.ts). */
export type { FirewallEndpoint, FirewallNetwork, FirewallPort, FirewallState } from './types.js';
export { renderRuleset, renderDelete } from './plan.js';
export { Firewall, NftError } from './apply.js';
export type { FirewallOptions } from './apply.js';
export { HostFirewall } from './hostfw-apply.js';
export type { HostFirewallSync } from './apply.js';
export type { HostBridge } from './hostfw.js';
