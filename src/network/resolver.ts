/**
 * Who is called what, for the embedded DNS: a container on a user-defined network resolves the names
 * (container name, short id, --network-alias, links) of the containers that share one of its networks,
 * as `name` and `name.network`, and nothing from networks it is not on. Docker's default bridge has no
 * embedded DNS.
 */
import type { DnsAnswer, DnsResolver } from './dns/types.js';
import type { EndpointRecord, NetworkRecord } from './record.js';

export interface ResolverSources {
  networks(): NetworkRecord[];
  /** the container's --dns servers, else the daemon's `dns`, else the host's resolv.conf nameservers */
  upstreams(containerId: string | undefined): string[];
}

/** Networks with embedded DNS: user-defined ones (not the predefined bridge). */
export function hasEmbeddedDns(n: NetworkRecord): boolean {
  return !n.predefined && (n.driver === 'bridge' || n.driver === 'macvlan');
}

export class NameResolver implements DnsResolver {
  constructor(private readonly src: ResolverSources) {}

  /** the networks (and endpoint on each) of the container that owns `client` */
  private scope(client: string): { containerId: string; nets: { net: NetworkRecord; me: EndpointRecord }[] } | undefined {
    const all = this.src.networks().filter(hasEmbeddedDns);
    let containerId: string | undefined;
    for (const n of all) {
      for (const e of Object.values(n.endpoints)) if (e.ip === client) containerId = e.containerId;
    }
    if (!containerId) return undefined;
    const nets = all.filter((n) => n.endpoints[containerId!]).map((n) => ({ net: n, me: n.endpoints[containerId!]! }));
    return { containerId, nets };
  }

  lookupA(client: string, name: string): DnsAnswer | undefined {
    const sc = this.scope(client);
    if (!sc) return undefined;
    const q = name.toLowerCase().replace(/\.$/, '');
    const found: string[] = [];
    for (const { net, me } of sc.nets) {
      const netName = net.name.toLowerCase();
      const bare = q.endsWith(`.${netName}`) ? q.slice(0, -netName.length - 1) : q;
      // legacy links on a user network: "web:w" lets this container call web "w"
      let target = bare;
      for (const l of me.links) {
        const [c, alias = c] = l.replace(/^\//, '').split(':');
        if (alias.toLowerCase() === bare) target = c.toLowerCase();
      }
      for (const e of Object.values(net.endpoints)) {
        if (!e.ip) continue;
        if (e.dnsNames.some((n) => n.toLowerCase() === target) && !found.includes(e.ip)) found.push(e.ip);
      }
    }
    return found.length ? { addresses: found } : undefined;
  }

  lookupPTR(client: string, ip: string): DnsAnswer | undefined {
    const sc = this.scope(client);
    if (!sc) return undefined;
    for (const { net } of sc.nets) {
      for (const e of Object.values(net.endpoints)) if (e.ip === ip) return { ptr: [`${e.name}.${net.name}`] };
    }
    return undefined;
  }

  upstreams(client: string): string[] {
    return this.src.upstreams(this.scope(client)?.containerId);
  }
}
