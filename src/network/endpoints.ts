/**
 * Endpoint requests of containers, checked before anything is allocated: which networks a new container
 * is on (NetworkMode and NetworkingConfig.EndpointsConfig), with Docker's errors for unknown networks
 * and for options that only user-defined networks take.
 */
import type { ContainerCreateBody, EndpointSettings } from '../api/types.js';
import { invalidArgument } from '../core/errors.js';
import { contains, ipToNum, isIPv4, parseCidr } from '../core/ipnet.js';
import type { NetworkRecord } from './record.js';

const MODE_NETWORKS = new Set(['host', 'none']);
const containsIp = (subnet: string, ip: string) => contains(parseCidr(subnet, true), ipToNum(ip));

/** Docker's name for the network a NetworkMode refers to ("default" is the bridge). */
export function networkOfMode(mode: string | undefined): string | undefined {
  const m = mode || 'default';
  if (m === 'default') return 'bridge';
  if (m.startsWith('container:')) return undefined;
  return m;
}

/**
 * The networks of a container being created, keyed by network name, from NetworkMode and
 * NetworkingConfig.EndpointsConfig. Throws Docker's errors for unknown networks and for options
 * that only user-defined networks take.
 */
export function endpointsForCreate(body: ContainerCreateBody, resolve: (ref: string) => NetworkRecord): Record<string, EndpointSettings> {
  const mode = body.HostConfig?.NetworkMode;
  const primary = networkOfMode(mode);
  const given = body.NetworkingConfig?.EndpointsConfig ?? {};
  const out: Record<string, EndpointSettings> = {};
  if (primary === undefined) return out; // container:<x>
  const names = [primary, ...Object.keys(given).filter((k) => k !== primary && k !== mode && !(primary === 'bridge' && k === 'default'))];
  for (const ref of names) {
    const n = resolve(ref);
    if (MODE_NETWORKS.has(n.name) && names.length > 1) throw invalidArgument(`container cannot be connected to host network or none network and other networks`);
    const ep0 = given[ref] ?? given[n.name] ?? given[n.id] ?? (ref === primary && primary === 'bridge' ? given.default : undefined) ?? {};
    // Config.MacAddress (API < 1.44, what docker-py's mac_address sends) is the primary endpoint's
    const ep = ref === primary && body.MacAddress && !ep0.MacAddress ? { ...ep0, MacAddress: body.MacAddress } : ep0;
    out[n.name] = checkEndpoint(n, ep);
  }
  return out;
}

/** An endpoint request checked against its network, with Docker's errors; the settings stored before start. */
export function checkEndpoint(n: NetworkRecord, ep: EndpointSettings): EndpointSettings {
  if (n.predefined && ep.Aliases?.length) throw invalidArgument('network-scoped aliases are only supported for user-defined networks');
  const ip = ep.IPAMConfig?.IPv4Address;
  if (ip) {
    if (n.predefined) throw invalidArgument('user specified IP address is supported on user defined networks only');
    if (!isIPv4(ip)) throw invalidArgument(`invalid IPv4 address: ${ip}`);
    if (n.subnet && !containsIp(n.subnet, ip)) throw invalidArgument(`no configured subnet or ip-range contain the IP address ${ip}`);
  }
  if (ep.MacAddress && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(ep.MacAddress)) throw invalidArgument(`invalid MAC address: ${ep.MacAddress}`);
  return {
    IPAMConfig: ep.IPAMConfig ?? null, Links: ep.Links ?? null, Aliases: ep.Aliases ?? null, MacAddress: ep.MacAddress ?? '',
    DriverOpts: ep.DriverOpts ?? null, NetworkID: n.id, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '',
    GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

