/**
 * `docker network create`: the request checked as Docker checks it, and the new network's settings
 * (subnet, gateway, range, bridge or macvlan parent) worked out. The host is only asked, through the two
 * functions of CreateContext, which routes exist (so an automatic subnet stays off them) and whether a
 * macvlan parent exists.
 */
import type { NetworkCreateRequest } from '../api/types.js';
import { conflict, forbidden, invalidArgument, notFound } from '../core/errors.js';
import { type AddressPool, chooseSubnet, Pool } from './ipam.js';
import { formatCidr, overlaps, parseCidr, parseIfaceCidr } from '../core/ipnet.js';
import type { NetworkRecord } from './record.js';

export interface CreateContext {
  /** the networks there are */
  existing: readonly NetworkRecord[];
  /** daemon.json's default-address-pools */
  pools: AddressPool[];
  /** the default bridge's interface (--bridge) */
  defaultBridge: string;
  /** destinations of the host's IPv4 routes, as CIDRs */
  hostRoutes(): Promise<string[]>;
  interfaceExists(name: string): Promise<boolean>;
}

/**
 * Docker's checks of a network name, made before anything is locked. Like moby (libnetwork's "invalid
 * name: name is empty"), any non-empty name is accepted, spaces included; host-side names (bridges, nft
 * sets) come from the network's ID, never from its name. Control characters are refused: they would
 * break hosts files, logs and table output.
 */
export function checkNetworkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') throw invalidArgument('network name cannot be empty');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw invalidArgument(`invalid network name ${JSON.stringify(name)}: control characters are not allowed`);
}

/**
 * Fills `rec` (a new record with its id) from the request, or throws Docker's error for it; returns the
 * network's address pool. Changes nothing on the host.
 */
export async function planNetworkCreate(req: NetworkCreateRequest, rec: NetworkRecord, ctx: CreateContext): Promise<Pool> {
  checkNetworkName(req.Name);
  if (ctx.existing.some((n) => n.name === req.Name)) throw conflict(`network with name ${req.Name} already exists`);
  const driver = rec.driver;
  if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
  if (driver !== 'bridge' && driver !== 'macvlan') throw notFound(`plugin "${driver}" not found`);
  if (req.Ingress) throw forbidden('ingress networks need swarm mode, which Berth does not run');
  rec.internal = !!req.Internal;
  rec.attachable = !!req.Attachable;
  rec.enableIPv6 = !!req.EnableIPv6;
  rec.options = { ...(req.Options ?? {}) };
  rec.labels = { ...(req.Labels ?? {}) };
  rec.ipamDriver = req.IPAM?.Driver || 'default';
  if (rec.ipamDriver !== 'default') throw notFound(`plugin "${rec.ipamDriver}" not found`);
  rec.ipamOptions = { ...(req.IPAM?.Options ?? {}) };
  if (rec.options['com.docker.network.driver.mtu']) {
    const mtu = Number(rec.options['com.docker.network.driver.mtu']);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw invalidArgument(`invalid MTU: ${rec.options['com.docker.network.driver.mtu']}`);
    rec.mtu = mtu;
  }
  const configs = (req.IPAM?.Config ?? []).filter((c) => !c.Subnet?.includes(':'));
  if (configs.length > 1) throw invalidArgument('Berth networks have one IPv4 subnet');
  const c = configs[0] ?? {};
  const others = ctx.existing.filter((n) => n.subnet);
  if (c.Subnet) {
    rec.subnet = formatCidr(parseCidr(c.Subnet, true));
    const mine = parseCidr(rec.subnet, true);
    if (others.some((n) => overlaps(parseCidr(n.subnet!, true), mine))) throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    if (c.Gateway || c.IPRange) throw invalidArgument('a gateway or ip range needs a subnet');
    rec.subnet = chooseSubnet(ctx.pools, [...(await ctx.hostRoutes()), ...others.map((n) => n.subnet!)]);
  }
  rec.gateway = c.Gateway || Pool.firstHost(rec.subnet);
  rec.ipRange = c.IPRange;
  rec.auxAddresses = { ...(c.AuxiliaryAddresses ?? {}) };
  const pool = new Pool(rec.subnet, rec.gateway, rec.ipRange, Object.values(rec.auxAddresses)); // validates
  if (driver === 'bridge') {
    rec.bridge = rec.options['com.docker.network.bridge.name'] || `br-${rec.id.slice(0, 12)}`;
    if (rec.bridge.length > 15) throw invalidArgument(`bridge name ${rec.bridge} is longer than 15 characters`);
    if (ctx.existing.some((n) => n.bridge === rec.bridge) || rec.bridge === ctx.defaultBridge) throw conflict(`bridge name ${rec.bridge} is already in use`);
  } else {
    const parent = rec.options.parent;
    if (!parent) throw invalidArgument('-o parent=<interface> is required for a macvlan network');
    if (!(await ctx.interfaceExists(parent))) throw invalidArgument(`-o parent interface was not found on the host: ${parent}`);
    rec.parent = parent;
    const mode = rec.options.macvlan_mode ?? 'bridge';
    if (!['bridge', 'private', 'vepa', 'passthru'].includes(mode)) throw invalidArgument(`requested macvlan mode '${mode}' is not valid, 'bridge' mode is the macvlan driver default`);
  }
  return pool;
}

/**
 * The default bridge's subnet and gateway: `--bip` if given, else what the network had (on the same
 * interface), else the address its interface already has, else a subnet of the pools no route uses.
 */
export async function planDefaultBridge(o: {
  bip?: string; previous?: NetworkRecord; bridge: string; existing: readonly NetworkRecord[]; pools: AddressPool[];
  bridgeAddress(name: string): Promise<string | undefined>; hostRoutes(): Promise<string[]>;
}): Promise<{ subnet: string; gateway: string }> {
  const fromCidr = (cidr: string) => {
    const b = parseIfaceCidr(cidr);
    return { subnet: formatCidr(b.cidr), gateway: b.ip };
  };
  if (o.bip) return fromCidr(o.bip);
  if (o.previous?.subnet && o.previous.gateway && o.previous.bridge === o.bridge) return { subnet: o.previous.subnet, gateway: o.previous.gateway };
  const existing = await o.bridgeAddress(o.bridge);
  if (existing) return fromCidr(existing);
  const subnet = chooseSubnet(o.pools, [...(await o.hostRoutes()), ...o.existing.filter((n) => n.subnet).map((n) => n.subnet!)]);
  return { subnet, gateway: Pool.firstHost(subnet) };
}
