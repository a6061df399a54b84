/**
 * The embedded DNS server's view of the world. The network service implements `DnsResolver`: given
 * the address a query came from, it knows which container asked and which networks that container is
 * on, and answers for names on those networks only.
 */

export interface DnsAnswer {
  /** A records (IPv4 addresses) for a name, or PTR names for a reverse lookup */
  addresses?: string[];
  ptr?: string[];
}

export interface DnsResolver {
  /**
   * Names known to Berth, as seen from the container at `client` (its address on one of the networks).
   * `undefined` means "not ours": forward the query upstream. An empty answer means the name is ours
   * but has no record of that type (answer NOERROR with no records, as Docker does for AAAA).
   */
  lookupA(client: string, name: string): DnsAnswer | undefined;
  lookupPTR(client: string, ip: string): DnsAnswer | undefined;
  /** upstream resolvers for this client (the container's --dns, else the daemon's, else the host's) */
  upstreams(client: string): string[];
}
